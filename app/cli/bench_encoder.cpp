#include "app/cli/bench_encoder.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <memory>
#include <thread>

#include "app/cli/command_bench.h"
#include "app/cli/device_option.h"
#include "app/model_locations.h"
#include "embed/encoder.h"
#include "kernels/cpu_backend.h"
#include "kernels/device.h"
#include "kernels/error.h"

namespace pgpp::app {

std::string bench_passage(int tokens) {
  static constexpr const char* kWords[] = {"the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"};
  std::string s;
  for (int i = 0; i < tokens - 2; ++i) {
    if (i) s += ' ';
    s += kWords[i % 9];
  }
  return s;
}

namespace {

// User + system seconds of this process (all threads): on a shared machine, passages per CPU
// second say what the code costs, whatever share of the cores it was given.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

struct Options {
  std::string model;
  int threads = 0;
  int batch = 0;  // 0: the encoder's default for its device (32 on the CPU, 256 on the GPU)
  kernels::Device device = kernels::Device::Auto;
  double min_seconds = 3.0;
  std::vector<int> lengths{32, 128, 256};
  bool json = false;
};

void run(const Options& o) {
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  kernels::CpuBackend cpu(threads);
  embed::Encoder encoder(o.model.empty() ? default_encoder_path() : std::filesystem::path(o.model), cpu,
                         o.device);
  if (o.batch > 0) encoder.set_batch_size(o.batch);
  const int batch_size = encoder.batch_size();
  const bool gpu = encoder.device() == kernels::Device::Cuda;
  std::vector<BenchRow> rows;
  encoder.embed(std::vector<std::string>(2, bench_passage(16)));  // warm-up: page in the weights
  for (const int len : o.lengths) {
    // On the GPU embed() returns host vectors, so each call ends with the device synchronized:
    // the wall clock times the GPU's work, not just its queueing.
    const std::vector<std::string> batch(static_cast<std::size_t>(batch_size), bench_passage(len));
    const int got = encoder.count_tokens(batch[0]);
    if (len > encoder.max_tokens() || got != len) {
      throw Error(fmt::format("bench encoder: a {}-token passage gives {} tokens with this encoder (max {})", len, got,
                              encoder.max_tokens()));
    }
    // Whole batches until min_seconds have passed (at least one).
    std::size_t passages = 0;
    const auto start = std::chrono::steady_clock::now();
    const double cpu0 = cpu_seconds();
    double seconds = 0;
    do {
      encoder.embed(batch);
      passages += batch.size();
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (seconds < o.min_seconds);
    const std::string setting =
        gpu ? fmt::format("tokens={} batch={} device={}", len, batch_size, encoder.device_reason())
            : fmt::format("tokens={} batch={} threads={}", len, batch_size, threads);
    rows.push_back({"encoder", "passages_per_s", setting, passages / seconds, "1/s"});
    rows.push_back({"encoder", "tokens_per_s", setting, passages * len / seconds, "1/s"});
    rows.push_back({"encoder", "passages_per_cpu_s", setting, passages / (cpu_seconds() - cpu0), "1/s"});
  }
  rows.push_back({"encoder", "peak_memory", fmt::format("simd={}", kernels::simd_level_name(cpu.simd())),
                  peak_memory_mib(), "MiB"});
  print_bench_rows(rows, o.json);
}

}  // namespace

void add_bench_encoder(CLI::App& bench) {
  auto opts = std::make_shared<Options>();
  auto* cmd = bench.add_subcommand("encoder", "Encoder passages/s at 32, 128 and 256 tokens per passage");
  cmd->add_option("--model", opts->model, "Encoder folder (default: the default encoder)");
  cmd->add_option("--threads", opts->threads, "Compute threads (default: one per hardware thread)");
  cmd->add_option("--batch", opts->batch, "Passages per batch (default: 32 on the CPU, 256 on the GPU)");
  add_device_option(*cmd, opts->device, "the encoder");
  cmd->add_option("--lengths", opts->lengths, "Tokens per passage, [CLS] and [SEP] included")->capture_default_str();
  cmd->add_option("--min-seconds", opts->min_seconds, "Time each length at least this long")->capture_default_str();
  cmd->add_flag("--json", opts->json, "Print the table as JSON");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace pgpp::app
