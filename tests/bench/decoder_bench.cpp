// The decoder's speed in pieces: one decode step and one 128-token prefill batch of the default
// model, and the attention kernel over a long cache, at each SIMD level this CPU has.
// Whole-model pp512/tg128 figures come from `pgpp bench decoder`.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "kernels/cpu/kv_attention.h"
#include "kernels/cpu_features.h"
#include "kernels/float16.h"
#include "llm/llama_model.h"
#include "tests/common/test_models.h"

namespace {

using pgpp::kernels::CpuBackend;
using pgpp::kernels::SimdLevel;

pgpp::llm::LlamaModel& model() {
  static std::unique_ptr<pgpp::llm::LlamaModel> m = pgpp::llm::LlamaModel::load(pgpp::test::default_decoder());
  return *m;
}

void BM_DecodeStep(benchmark::State& state) {
  CpuBackend cpu(static_cast<int>(state.range(0)));
  auto cache = model().make_cache(state.range(1) + state.iterations() + 8);
  std::vector<float> logits;
  std::vector<int32_t> prompt(static_cast<std::size_t>(state.range(1)), 42);
  model().forward(cpu, cache, prompt, false, logits);
  for (auto _ : state) model().forward(cpu, cache, {42}, false, logits);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeStep)->Args({1, 16})->Args({2, 16})->Args({2, 512})->Unit(benchmark::kMillisecond);

void BM_Prefill128(benchmark::State& state) {
  CpuBackend cpu(static_cast<int>(state.range(0)));
  auto cache = model().make_cache(256);
  std::vector<float> logits;
  std::vector<int32_t> prompt(128);
  for (std::size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int32_t>(i * 31 % 49152);
  for (auto _ : state) {
    cache.clear();
    model().forward(cpu, cache, prompt, false, logits);
  }
  state.SetItemsProcessed(state.iterations() * 128);
}
BENCHMARK(BM_Prefill128)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// One decode step's attention for SmolLM2's shape (9 heads over 3 KV heads of 64) over n keys.
void BM_AttentionDecode(benchmark::State& state) {
  const auto level = static_cast<SimdLevel>(state.range(1));
  if (static_cast<int>(level) > static_cast<int>(pgpp::kernels::detect_cpu_features().best_level())) {
    state.SkipWithError("SIMD level not available on this CPU");
    return;
  }
  CpuBackend cpu(1, level);
  const pgpp::kernels::cpu::AttentionShape s{9, 3, 64};
  const int64_t n = state.range(0);
  std::mt19937 rng(1);
  std::normal_distribution<float> d;
  std::vector<uint16_t> k(static_cast<std::size_t>(n * 192)), v(k.size());
  for (auto& x : k) x = pgpp::kernels::fp32_to_fp16(d(rng));
  for (auto& x : v) x = pgpp::kernels::fp32_to_fp16(d(rng));
  std::vector<float> q(576), out(576);
  for (auto& x : q) x = d(rng);
  for (auto _ : state) {
    pgpp::kernels::cpu::kv_attention(cpu, s, q.data(), 1, n - 1, k.data(), v.data(), 192, 0.125f, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_AttentionDecode)->ArgsProduct({{512, 4096}, {0, 1, 2}});

}  // namespace

BENCHMARK_MAIN();
