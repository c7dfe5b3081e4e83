#include "app/cli/bench_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "app/cli/device_option.h"
#include "app/model_locations.h"
#include "kernels/cpu_backend.h"
#include "kernels/device.h"
#include "llm/decoder_runner.h"
#include "llm/llama_model.h"
#if PGPP_HAVE_CUDA
#include "llm/cuda/llama_cuda.h"
#endif

namespace pgpp::app {

namespace {

struct BenchArgs {
  std::string model;
  int threads = 0;
  int prompt = 512;
  int gen = 128;
  int repetitions = 3;
  bool json = false;
  kernels::Device device = kernels::Device::Auto;
  bool no_graph = false;
};

using Clock = std::chrono::steady_clock;

struct Figure {
  std::string test;
  double mean = 0;
  double stdev = 0;
  double bandwidth = 0;       // weight bytes read per second (decode only)
  double copy_bandwidth = 0;  // the device's measured copy bandwidth (0: not measured)
};

Figure summarize(std::string test, const std::vector<double>& tps) {
  Figure f{std::move(test)};
  f.mean = std::accumulate(tps.begin(), tps.end(), 0.0) / static_cast<double>(tps.size());
  for (double x : tps) f.stdev += (x - f.mean) * (x - f.mean);
  f.stdev = tps.size() > 1 ? std::sqrt(f.stdev / static_cast<double>(tps.size() - 1)) : 0.0;
  return f;
}

void run_bench(const BenchArgs& a) {
  auto model = llm::LlamaModel::load(a.model);
  kernels::CpuBackend cpu(a.threads);
  const auto& hp = model->hparams();
  // Token ids spread over the vocabulary (like llama-bench's random tokens; the speed does not
  // depend on which ids they are).
  std::vector<int32_t> prompt(static_cast<std::size_t>(std::max(a.prompt, 1)));
  for (std::size_t i = 0; i < prompt.size(); ++i)
    prompt[i] = static_cast<int32_t>((i * 7919 + 13) % hp.n_vocab);
  auto runner = llm::make_decoder_runner(*model, cpu, a.device, std::max(a.prompt, a.gen) + 4);
#if PGPP_HAVE_CUDA
  if (auto* gpu = dynamic_cast<llm::LlamaCuda*>(runner.get())) gpu->use_graph(!a.no_graph);
#endif

  // One warm-up of each kind (page faults of the mapped weights, thread start-up; on the GPU
  // module loading, cuBLAS's first call and the decode graph's capture).
  const int64_t batch = std::max(a.prompt, 1);
  if (a.prompt > 1) runner->forward(prompt, batch);
  runner->truncate(0);
  for (int i = 0; i < 3; ++i) runner->forward(std::span<const int32_t>(prompt.data(), 1), 1);
  runner->argmax_logits();
  std::vector<Figure> figures;
  if (a.prompt > 0) {
    std::vector<double> tps;
    for (int r = 0; r < a.repetitions; ++r) {
      runner->truncate(0);
      const auto t0 = Clock::now();
      runner->forward(prompt, batch);  // one batch, like llama-bench
      runner->argmax_logits();         // waits for the device
      tps.push_back(a.prompt / std::chrono::duration<double>(Clock::now() - t0).count());
    }
    figures.push_back(summarize("pp" + std::to_string(a.prompt), tps));
  }
  if (a.gen > 0) {
    std::vector<double> tps;
    for (int r = 0; r < a.repetitions; ++r) {
      runner->truncate(0);
      int32_t next = prompt[0];
      const auto t0 = Clock::now();
      for (int i = 0; i < a.gen; ++i) {
        runner->forward(std::span<const int32_t>(&next, 1), 1);
        next = runner->argmax_logits();  // greedy, as a user's greedy reply
      }
      tps.push_back(a.gen / std::chrono::duration<double>(Clock::now() - t0).count());
    }
    Figure f = summarize("tg" + std::to_string(a.gen), tps);
    // Decode reads every weight once per token: bytes x tokens/s is the bandwidth it achieved.
    f.bandwidth = static_cast<double>(llm::decode_weight_bytes(*model)) * f.mean;
    f.copy_bandwidth = runner->copy_bandwidth();
    figures.push_back(f);
  }

  const std::string backend = runner->description();
  const double gib = static_cast<double>(model->file().file_size()) / (1ull << 30);
  auto floor_share = [](const Figure& f) {
    return f.copy_bandwidth > 0
               ? fmt::format("{:.0f}% of {:.0f}", 100 * f.bandwidth / f.copy_bandwidth,
                             f.copy_bandwidth / 1e9)
               : std::string("-");
  };
  if (a.json) {
    for (const Figure& f : figures) {
      fmt::print(
          "{{\"model\":\"{}\",\"size_gib\":{:.3f},\"params\":{},\"backend\":\"{}\",\"threads\":{},"
          "\"test\":\"{}\",\"tokens_per_second\":{:.2f},\"stdev\":{:.2f},\"weight_gb_per_second\":{"
          ":.2f},"
          "\"copy_gb_per_second\":{:.2f}}}\n",
          model->display_name(), gib, model->file().parameter_count(), backend, cpu.threads(),
          f.test, f.mean, f.stdev, f.bandwidth / 1e9, f.copy_bandwidth / 1e9);
    }
    return;
  }
  fmt::print("| {:<40} | {:>9} | {:>8} | {:<24} | {:>7} | {:>6} | {:>16} | {:>9} | {:>14} |\n",
             "model", "size", "params", "backend", "threads", "test", "t/s", "GB/s",
             "of copy GB/s");
  fmt::print(
      "| {:-<40} | {:->9} | {:->8} | {:-<24} | {:->7} | {:->6} | {:->16} | {:->9} | {:->14} |\n",
      "", "", "", "", "", "", "", "", "");
  for (const Figure& f : figures) {
    fmt::print(
        "| {:<40} | {:>5.1f} MiB | {:>7.1f}M | {:<24} | {:>7} | {:>6} | {:>8.2f} ± {:>5.2f} | "
        "{:>9} | {:>14} |\n",
        model->display_name(), gib * 1024, model->file().parameter_count() / 1e6, backend,
        cpu.threads(), f.test, f.mean, f.stdev,
        f.bandwidth > 0 ? fmt::format("{:.1f}", f.bandwidth / 1e9) : "-", floor_share(f));
  }
}

}  // namespace

void add_bench_decoder(CLI::App& bench) {
  auto args = std::make_shared<BenchArgs>();
  args->model = default_decoder_path().string();
  auto* cmd = bench.add_subcommand(
      "decoder", "Decoder speed: prompt processing (pp) and generation (tg), tokens/s");
  cmd->add_option("-m,--model", args->model, "GGUF decoder file")->capture_default_str();
  cmd->add_option("-t,--threads", args->threads, "compute threads (0: one per hardware thread)")
      ->capture_default_str();
  cmd->add_option("-p,--prompt", args->prompt, "prompt tokens processed in one batch (0: skip)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("-n,--gen", args->gen, "tokens generated one at a time (0: skip)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-r,--repetitions", args->repetitions, "runs of each test")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", args->json, "one JSON object per line instead of a table");
  add_device_option(*cmd, args->device, "the decoder");
  cmd->add_flag("--no-graph", args->no_graph,
                "on the GPU, launch each decode step's kernels one by one");
  cmd->callback([args] { run_bench(*args); });
}

}  // namespace pgpp::app
