#include "app/cli/bench_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "app/model_locations.h"
#include "kernels/cpu_backend.h"
#include "llm/llama_model.h"

namespace pgpp::app {

namespace {

struct BenchArgs {
  std::string model;
  int threads = 0;
  int prompt = 512;
  int gen = 128;
  int repetitions = 3;
  bool json = false;
};

using Clock = std::chrono::steady_clock;

struct Figure {
  std::string test;
  double mean = 0;
  double stdev = 0;
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
  for (std::size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int32_t>((i * 7919 + 13) % hp.n_vocab);
  auto cache = model->make_cache(std::max(a.prompt, a.gen) + 1);
  std::vector<float> logits;

  // One warm-up of each kind (page faults of the mapped weights, thread start-up).
  model->forward(cpu, cache, {prompt[0]}, false, logits);
  std::vector<Figure> figures;
  if (a.prompt > 0) {
    std::vector<double> tps;
    for (int r = 0; r < a.repetitions; ++r) {
      cache.clear();
      const auto t0 = Clock::now();
      model->forward(cpu, cache, prompt, false, logits, /*batch_size=*/a.prompt);  // one batch, like llama-bench
      tps.push_back(a.prompt / std::chrono::duration<double>(Clock::now() - t0).count());
    }
    figures.push_back(summarize("pp" + std::to_string(a.prompt), tps));
  }
  if (a.gen > 0) {
    std::vector<double> tps;
    for (int r = 0; r < a.repetitions; ++r) {
      cache.clear();
      int32_t next = prompt[0];
      const auto t0 = Clock::now();
      for (int i = 0; i < a.gen; ++i) {
        model->forward(cpu, cache, {next}, false, logits);
        next = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
      }
      tps.push_back(a.gen / std::chrono::duration<double>(Clock::now() - t0).count());
    }
    figures.push_back(summarize("tg" + std::to_string(a.gen), tps));
  }

  const std::string simd(kernels::simd_level_name(cpu.simd()));
  const double gib = static_cast<double>(model->file().file_size()) / (1ull << 30);
  if (a.json) {
    for (const Figure& f : figures) {
      fmt::print("{{\"model\":\"{}\",\"size_gib\":{:.3f},\"params\":{},\"backend\":\"cpu-{}\",\"threads\":{},"
                 "\"test\":\"{}\",\"tokens_per_second\":{:.2f},\"stdev\":{:.2f}}}\n",
                 model->display_name(), gib, model->file().parameter_count(), simd, cpu.threads(), f.test, f.mean,
                 f.stdev);
    }
    return;
  }
  fmt::print("| {:<40} | {:>9} | {:>8} | {:<11} | {:>7} | {:>6} | {:>16} |\n", "model", "size", "params", "backend",
             "threads", "test", "t/s");
  fmt::print("| {:-<40} | {:->9} | {:->8} | {:-<11} | {:->7} | {:->6} | {:->16} |\n", "", "", "", "", "", "", "");
  for (const Figure& f : figures) {
    fmt::print("| {:<40} | {:>5.1f} MiB | {:>7.1f}M | {:<11} | {:>7} | {:>6} | {:>8.2f} ± {:>5.2f} |\n",
               model->display_name(), gib * 1024, model->file().parameter_count() / 1e6, "cpu-" + simd,
               cpu.threads(), f.test, f.mean, f.stdev);
  }
}

}  // namespace

void add_bench_decoder(CLI::App& bench) {
  auto args = std::make_shared<BenchArgs>();
  args->model = default_decoder_path().string();
  auto* cmd = bench.add_subcommand("decoder", "Decoder speed: prompt processing (pp) and generation (tg), tokens/s");
  cmd->add_option("-m,--model", args->model, "GGUF decoder file")->capture_default_str();
  cmd->add_option("-t,--threads", args->threads, "compute threads (0: one per hardware thread)")
      ->capture_default_str();
  cmd->add_option("-p,--prompt", args->prompt, "prompt tokens processed in one batch (0: skip)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("-n,--gen", args->gen, "tokens generated one at a time (0: skip)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-r,--repetitions", args->repetitions, "runs of each test")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", args->json, "one JSON object per line instead of a table");
  cmd->callback([args] { run_bench(*args); });
}

}  // namespace pgpp::app
