// Quantized matmul speed: decode GEMV (1 token) and prefill GEMM (512 tokens) for the weight
// formats models ship in, at the shapes of real models, at every SIMD level this CPU has,
// next to the machine's memory bandwidth (memcpy and a read-only streaming sum) — the floor a
// memory-bound GEMV cannot beat.
//
//   build/release/bin/pgpp_quant_matmul_bench [--benchmark_filter=gemv] [--threads=N]
//
// Counters: bytes_per_second = weight bytes read per second (GEMV; compare with read_bw);
// GMAC/s = multiply-adds per second (GEMM, where unpacking and integer math bound it).
// Weights rotate through copies totalling >= 256 MiB so every GEMV reads them from DRAM, as a
// decode step over a whole model does; gemv_cached/ repeats one L2-resident copy instead, to
// show the kernel's compute ceiling.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu_backend.h"
#include "kernels/float16.h"
#include "kernels/matmul.h"

namespace {

using pgpp::kernels::CpuBackend;
using pgpp::kernels::DType;
using pgpp::kernels::SimdLevel;
using pgpp::kernels::TensorView;

constexpr std::size_t kRotateBytes = std::size_t{256} << 20;

struct TypeInfo {
  DType type;
  std::vector<int> f16_fields;  // block offsets of f16 scales/mins: given finite values
};

std::vector<uint8_t> random_blocks(const TypeInfo& info, std::size_t bytes, std::mt19937& rng) {
  std::vector<uint8_t> w(bytes);
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : w) b = static_cast<uint8_t>(byte(rng));
  const auto block = static_cast<std::size_t>(pgpp::kernels::dtype_traits(info.type).block_bytes);
  for (std::size_t off = 0; off + block <= bytes; off += block) {
    for (int f : info.f16_fields) {
      const uint16_t h = pgpp::kernels::fp32_to_fp16(0.01f + 0.0001f * static_cast<float>(byte(rng)));
      std::memcpy(&w[off + static_cast<std::size_t>(f)], &h, 2);
    }
  }
  return w;
}

void bench_matmul(benchmark::State& state, TypeInfo info, int64_t rows, int64_t k, SimdLevel level,
                  int64_t n_tokens, int threads, bool cached) {
  if (level > pgpp::kernels::detect_cpu_features().best_level()) {
    state.SkipWithError("this CPU lacks the SIMD level");
    return;
  }
  CpuBackend cpu(threads, level);
  const std::size_t wbytes = pgpp::kernels::row_bytes(info.type, k) * static_cast<std::size_t>(rows);
  // GEMV streams weights from DRAM; GEMM is compute-bound and one copy is enough.
  // The cached variant keeps one copy (it fits L2 at the SmolLM2 shape): the kernel's own speed.
  const std::size_t copies = n_tokens == 1 && !cached ? std::max<std::size_t>(1, kRotateBytes / wbytes) : 1;
  std::mt19937 rng(42);
  const auto blocks = random_blocks(info, wbytes * copies, rng);
  std::vector<float> x(static_cast<std::size_t>(n_tokens * k)), y(static_cast<std::size_t>(n_tokens * rows));
  std::normal_distribution<float> normal;
  for (auto& v : x) v = normal(rng);
  TensorView w;
  w.name = "bench.weight";
  w.type = info.type;
  w.n_dims = 2;
  w.ne = {k, rows, 1, 1};
  w.nbytes = wbytes;
  std::size_t i = 0;
  for (auto _ : state) {
    w.data = reinterpret_cast<const std::byte*>(blocks.data() + (i++ % copies) * wbytes);
    pgpp::kernels::matmul(cpu, w, x.data(), n_tokens, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wbytes));
  state.counters["GMAC/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(rows * k * n_tokens) * 1e-9,
      benchmark::Counter::kIsRate);
}

// memcpy of 256 MiB: bytes_per_second counts bytes read + written.
void bench_memcpy(benchmark::State& state) {
  std::vector<uint8_t> a(kRotateBytes, 1), b(kRotateBytes, 0);
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), a.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 2 * a.size()));
}

// Read-only streaming over 256 MiB with the pool's threads, as a GEMV reads its weights.
void bench_read(benchmark::State& state, int threads) {
  CpuBackend cpu(threads);
  std::vector<uint64_t> a(kRotateBytes / 8, 3);
  const int64_t n = static_cast<int64_t>(a.size());
  std::vector<uint64_t> partial(static_cast<std::size_t>(n / 4096 + 1));
  for (auto _ : state) {
    cpu.pool().parallel_for(n / 4096, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const uint64_t* p = a.data() + c * 4096;
        for (int i = 0; i < 4096; i += 4) {
          s0 += p[i];
          s1 += p[i + 1];
          s2 += p[i + 2];
          s3 += p[i + 3];
        }
        partial[static_cast<std::size_t>(c)] = s0 + s1 + s2 + s3;
      }
    });
    benchmark::DoNotOptimize(partial.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRotateBytes));
}

}  // namespace

int main(int argc, char** argv) {
  // --threads=N (ours, removed before Google Benchmark parses the rest): compute threads;
  // default 0 = one per hardware thread.
  int threads = 0;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      threads = std::stoi(argv[i] + 10);
    } else {
      args.push_back(argv[i]);
    }
  }
  int n_args = static_cast<int>(args.size());
  const int t = CpuBackend(threads).threads();

  benchmark::RegisterBenchmark("bandwidth/memcpy_256MiB", bench_memcpy)->UseRealTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("bandwidth/read_256MiB/threads:" + std::to_string(t)).c_str(), bench_read, t)
      ->UseRealTime()->Unit(benchmark::kMillisecond);

  const std::vector<TypeInfo> types = {
      {DType::Q4_0, {0}}, {DType::Q4_1, {0, 2}}, {DType::Q8_0, {0}}, {DType::Q4_K, {0, 2}}, {DType::Q6_K, {208}},
  };
  struct Shape {
    const char* model;
    int64_t rows, k;
  };
  // ffn_down of SmolLM2-135M (576 x 1536: K a multiple of 256, as K-quants need) and ffn_up of
  // Llama-3.2-1B (8192 x 2048).
  const Shape shapes[] = {{"smollm2_ffn_down", 576, 1536}, {"llama3.2-1b_ffn_up", 8192, 2048}};
  const SimdLevel levels[] = {SimdLevel::Scalar, SimdLevel::Avx2, SimdLevel::Avx512};
  for (int64_t n_tokens : {1, 512}) {
    for (const auto& shape : shapes) {
      for (const auto& info : types) {
        for (SimdLevel level : levels) {
          // Scalar prefill at 512 tokens takes seconds per call and says nothing new.
          if (n_tokens > 1 && level == SimdLevel::Scalar) continue;
          const std::string name = std::string(n_tokens == 1 ? "gemv/" : "gemm512/") +
                                   std::string(pgpp::kernels::dtype_name(info.type)) + "/" + shape.model +
                                   "/" + std::string(pgpp::kernels::simd_level_name(level)) +
                                   "/threads:" + std::to_string(t);
          benchmark::RegisterBenchmark(name.c_str(), bench_matmul, info, shape.rows, shape.k, level, n_tokens, t,
                                       false)
              ->UseRealTime()
              ->Unit(n_tokens == 1 ? benchmark::kMicrosecond : benchmark::kMillisecond);
          if (n_tokens == 1 && shape.rows == 576) {
            benchmark::RegisterBenchmark(("gemv_cached/" + name.substr(5)).c_str(), bench_matmul, info, shape.rows,
                                         shape.k, level, n_tokens, t, true)
                ->UseRealTime()
                ->Unit(benchmark::kMicrosecond);
          }
        }
      }
    }
  }
  benchmark::Initialize(&n_args, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
