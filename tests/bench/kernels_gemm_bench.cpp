// The float GEMM (kernels::cpu::matmul_packed / matmul_float) and the encoder's other kernels at
// each SIMD level, on the encoder's shapes: tokens x 384 -> 384 or 1536 (all-MiniLM-L6-v2),
// tokens = one batch of 32 passages of 32 or 256 tokens, and 1 token (a query: GEMV).
//   build/release/bin/pgpp_kernels_gemm_bench --benchmark_filter=Gemm
// Reports GFLOP/s (2 * tokens * rows * k per product) as the "FLOPS" counter.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/cpu/attention.h"
#include "kernels/cpu/gelu.h"
#include "kernels/cpu/matmul_float.h"
#include "kernels/cpu_features.h"

namespace {

using pgpp::kernels::CpuBackend;
using pgpp::kernels::DType;
using pgpp::kernels::SimdLevel;
using pgpp::kernels::TensorView;

bool level_here(SimdLevel l) {
  return static_cast<int>(l) <= static_cast<int>(pgpp::kernels::detect_cpu_features().best_level());
}

std::vector<float> random_floats(std::size_t n) {
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// args: simd level, threads, tokens, rows, k
void BM_GemmPacked(benchmark::State& state) {
  const auto level = static_cast<SimdLevel>(state.range(0));
  if (!level_here(level)) {
    state.SkipWithError("SIMD level not available on this CPU");
    return;
  }
  const int64_t threads = state.range(1), tokens = state.range(2), rows = state.range(3), k = state.range(4);
  CpuBackend cpu(static_cast<int>(threads), level);
  auto w = random_floats(static_cast<std::size_t>(rows * k));
  TensorView view;
  view.name = "bench";
  view.type = DType::F32;
  view.n_dims = 2;
  view.ne = {k, rows, 1, 1};
  view.data = reinterpret_cast<const std::byte*>(w.data());
  view.nbytes = w.size() * 4;
  const auto packed = pgpp::kernels::cpu::pack_weight(cpu, view);
  const auto x = random_floats(static_cast<std::size_t>(tokens * k));
  std::vector<float> y(static_cast<std::size_t>(tokens * rows));
  for (auto _ : state) {
    if (tokens <= 4) {
      pgpp::kernels::cpu::matmul_float(cpu, view, x.data(), tokens, y.data());
    } else {
      pgpp::kernels::cpu::matmul_packed(cpu, packed, x.data(), tokens, y.data());
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["FLOPS"] = benchmark::Counter(static_cast<double>(2 * tokens * rows * k),
                                               benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(pgpp::kernels::simd_level_name(level)));
}

void gemm_args(benchmark::internal::Benchmark* b) {
  for (int level : {1, 2})
    for (int threads : {1, 2})
      for (int tokens : {1, 1024, 8192})
        for (auto [rows, k] : {std::pair{384, 384}, std::pair{1536, 384}, std::pair{384, 1536}})
          b->Args({level, threads, tokens, rows, k});
}
BENCHMARK(BM_GemmPacked)->Apply(gemm_args)->Unit(benchmark::kMillisecond)->UseRealTime();

// args: simd level, sequence length (32 sequences, 12 heads of 32, as MiniLM)
void BM_Attention(benchmark::State& state) {
  const auto level = static_cast<SimdLevel>(state.range(0));
  if (!level_here(level)) {
    state.SkipWithError("SIMD level not available on this CPU");
    return;
  }
  const int64_t len = state.range(1), seqs = 32, width = 384;
  CpuBackend cpu(1, level);
  const auto q = random_floats(static_cast<std::size_t>(seqs * len * width));
  std::vector<float> out(q.size());
  std::vector<int64_t> begin;
  for (int64_t s = 0; s <= seqs; ++s) begin.push_back(s * len);
  for (auto _ : state) {
    pgpp::kernels::cpu::attention(cpu, q.data(), q.data(), q.data(), width, begin.data(), seqs, 12, 32, 0.17f,
                                  out.data(), width);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["FLOPS"] = benchmark::Counter(static_cast<double>(4 * seqs * len * len * width),
                                               benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Attention)->ArgsProduct({{0, 1, 2}, {32, 256}})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Gelu(benchmark::State& state) {
  const auto level = static_cast<SimdLevel>(state.range(0));
  if (!level_here(level)) {
    state.SkipWithError("SIMD level not available on this CPU");
    return;
  }
  CpuBackend cpu(1, level);
  auto x = random_floats(1 << 20);
  for (auto _ : state) pgpp::kernels::cpu::gelu(cpu, x.data(), static_cast<int64_t>(x.size()));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(x.size()));
}
BENCHMARK(BM_Gelu)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
