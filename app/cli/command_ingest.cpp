#include "app/cli/command_ingest.h"

#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <nlohmann/json.hpp>
#include <stop_token>

#include "app/cli/device_option.h"
#include "app/cli/library_location.h"
#include "embed/encoder.h"
#include "kernels/cpu_backend.h"
#include "kernels/device.h"
#include "kernels/error.h"
#include "rag/pdf_reader.h"
#include "rag/vector_index.h"

namespace pgpp::app {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;  // set by SIGINT; read by the progress callback
extern "C" void on_sigint(int) { g_interrupted = 1; }

std::string clock_text(double seconds) {
  if (seconds < 0) return "--:--";
  const auto s = static_cast<long>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) : fmt::format("{:02}:{:02}", s / 60, s % 60);
}

struct IngestArgs {
  LibraryCliOptions library;
  std::vector<std::string> paths;
  std::string collection = rag::Library::kDefaultCollection;
  std::string password;
  bool json = false;
  kernels::Device device = kernels::Device::Auto;
};

void run_ingest(const IngestArgs& a) {
  kernels::CpuBackend cpu(compute_threads(a.library.threads));
  embed::Encoder encoder(encoder_path(a.library), cpu, a.device);
  auto library = open_library(a.library, false);
  const auto report = ingest_paths(*library, encoder, a.paths, a.collection, a.password, "give it with --password");
  // Build the vector index now, so that the first question does not wait for it.
  rag::VectorIndex index(*library, encoder.identity());
  if (a.json) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : report.files) {
      files.push_back({{"path", f.path.string()}, {"status", rag::ingest_status_name(f.status)}, {"reason", f.reason},
                       {"document_id", f.document_id}, {"pages", f.pages}, {"passages", f.passages}});
    }
    fmt::print("{}\n", nlohmann::json{{"files", files}, {"pages", report.pages}, {"passages", report.passages},
                                      {"seconds", report.seconds}, {"cancelled", report.cancelled}}
                           .dump(1));
  }
  if (report.cancelled) throw Error("ingest cancelled; the documents stored before stay in the library");
}

}  // namespace

rag::IngestReport ingest_paths(rag::Library& library, embed::Encoder& encoder, const std::vector<std::string>& paths,
                               const std::string& collection, const std::string& password,
                               const std::string& password_hint) {
  using Status = rag::IngestFileResult::Status;
  std::vector<std::filesystem::path> in(paths.begin(), paths.end());
  std::vector<rag::IngestFileResult> rejected;
  const auto files = rag::collect_pdf_files(in, rejected);
  rag::IngestOptions options;
  options.collection = collection;
  options.reading.password = password;
  rag::IngestPipeline pipeline(library, encoder, options);

  std::stop_source stop;
  g_interrupted = 0;
  auto* previous = std::signal(SIGINT, on_sigint);
  const bool tty = isatty(STDERR_FILENO) != 0;
  int last_done = -1;
  auto progress = [&](const rag::IngestProgress& p) {
    if (g_interrupted && !stop.stop_requested()) {
      fmt::print(stderr, "\ncancelling...\n");
      stop.request_stop();
    }
    if (!tty && p.files_done == last_done) return;  // a log gets one line per file
    last_done = p.files_done;
    fmt::print(stderr, "{}[{}/{} files] {} pages read, {} passages, {:.1f} pages/s, {:.1f} passages/s, {} left  {}{}",
               tty ? "\r\033[K" : "", p.files_done, p.files_total, p.pages_read, p.passages, p.pages_per_second,
               p.passages_per_second, clock_text(p.seconds_left), p.current, tty ? "" : "\n");
  };
  rag::IngestReport report;
  try {
    report = pipeline.run(files, progress, stop.get_token());
  } catch (...) {
    std::signal(SIGINT, previous);
    throw;
  }
  std::signal(SIGINT, previous);
  if (tty) fmt::print(stderr, "\n");
  report.files.insert(report.files.end(), rejected.begin(), rejected.end());
  fmt::print(stderr, "{} added, {} replaced, {} unchanged, {} skipped, {} failed{}: {} pages, {} passages in {:.1f} s\n",
             report.count(Status::kAdded), report.count(Status::kReplaced), report.count(Status::kUnchanged),
             report.count(Status::kSkipped), report.count(Status::kFailed),
             report.cancelled ? fmt::format(", {} cancelled", report.count(Status::kCancelled)) : "", report.pages,
             report.passages, report.seconds);
  for (const auto& f : report.files) {
    if (f.status == Status::kSkipped || f.status == Status::kFailed) {
      const bool locked = f.reason.find(rag::kPasswordRequired) != std::string::npos;
      fmt::print(stderr, "  {}: {} — {}{}\n", rag::ingest_status_name(f.status), f.path.string(), f.reason,
                 locked && !password_hint.empty() ? "; " + password_hint : "");
    } else if (!f.reason.empty() && (f.status == Status::kAdded || f.status == Status::kReplaced)) {
      fmt::print(stderr, "  partly searchable: {} — {}\n", f.path.string(), f.reason);
    }
  }
  return report;
}

void add_ingest_command(CLI::App& app) {
  auto args = std::make_shared<IngestArgs>();
  auto* cmd = app.add_subcommand("ingest", "Add PDF files and folders (recursively) to the library");
  cmd->add_option("paths", args->paths, "PDF files and folders")->required();
  cmd->add_option("--collection", args->collection, "collection to add them to")->capture_default_str();
  cmd->add_option("--password", args->password, "password of locked PDFs");
  cmd->add_flag("--json", args->json, "also print the per-file results as JSON");
  add_device_option(*cmd, args->device, "the encoder");
  add_library_options(*cmd, args->library, true, true);
  cmd->callback([args] { run_ingest(*args); });
}

}  // namespace pgpp::app
