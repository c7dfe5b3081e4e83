#include "app/cli/bench_ingest.h"

#include <fmt/format.h>

#include <memory>

#include "app/cli/command_bench.h"
#include "app/cli/device_option.h"
#include "app/cli/library_location.h"
#include "embed/encoder.h"
#include "kernels/cpu_backend.h"
#include "kernels/device.h"
#include "kernels/error.h"
#include "rag/ingest_pipeline.h"

namespace pgpp::app {

namespace {

struct Options {
  std::string folder;
  std::string library;  // empty: in memory
  std::string encoder;
  int threads = 0;
  bool json = false;
  kernels::Device device = kernels::Device::Auto;
};

void run(const Options& o) {
  const int threads = compute_threads(o.threads);
  kernels::CpuBackend cpu(threads);
  LibraryCliOptions lo;
  lo.encoder = o.encoder;
  lo.ephemeral = o.library.empty();
  lo.dir = o.library;
  embed::Encoder encoder(encoder_path(lo), cpu, o.device);
  auto library = open_library(lo, false);
  std::vector<rag::IngestFileResult> rejected;
  const auto files = rag::collect_pdf_files({o.folder}, rejected);
  if (files.empty()) throw Error(o.folder + ": no PDF files found");
  rag::IngestPipeline pipeline(*library, encoder);
  int last = -1;
  const auto report = pipeline.run(files, [&](const rag::IngestProgress& p) {
    if (p.files_done == last) return;  // one line per file: the table is what matters
    last = p.files_done;
    fmt::print(stderr, "[{}/{} files] {} pages, {} passages\n", p.files_done, p.files_total,
               p.pages, p.passages);
  });
  const std::string setting =
      fmt::format("files={} threads={} {} device={}", files.size(), threads,
                  lo.ephemeral ? "memory" : "disk", kernels::device_name(encoder.device()));
  std::vector<BenchRow> rows{
      {"ingest", "pages_per_s", setting, report.seconds > 0 ? report.pages / report.seconds : 0,
       "1/s"},
      {"ingest", "passages_per_s", setting,
       report.seconds > 0 ? report.passages / report.seconds : 0, "1/s"},
      {"ingest", "pages", setting, static_cast<double>(report.pages), ""},
      {"ingest", "passages", setting, static_cast<double>(report.passages), ""},
      {"ingest", "seconds", setting, report.seconds, "s"},
      {"ingest", "peak_memory", fmt::format("simd={}", kernels::simd_level_name(cpu.simd())),
       peak_memory_mib(), "MiB"},
  };
  print_bench_rows(rows, o.json);
}

}  // namespace

void add_bench_ingest(CLI::App& bench) {
  auto opts = std::make_shared<Options>();
  auto* cmd = bench.add_subcommand(
      "ingest", "Ingest pipeline pages/s, passages/s and peak memory on a folder of PDFs");
  cmd->add_option("folder", opts->folder, "folder of PDF files (recursive)")->required();
  cmd->add_option("--library", opts->library, "library folder to write (default: in memory)");
  cmd->add_option("--encoder", opts->encoder,
                  "encoder folder or BERT GGUF file (default: the default encoder)");
  cmd->add_option("--threads", opts->threads, "compute threads (default: one per hardware thread)");
  cmd->add_flag("--json", opts->json, "print the table as JSON");
  add_device_option(*cmd, opts->device, "the encoder");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace pgpp::app
