#include "kernels/cpu/swiglu.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/simd_math.h"

namespace pgpp::kernels::cpu {

namespace {

void run_scalar(const float* g, const float* u, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

__attribute__((target("avx2,fma"))) void run_avx2(const float* g, const float* u, int64_t n, float* y) {
  int64_t i = 0;
  const __m256 one = _mm256_set1_ps(1.0f);
  for (; i + 8 <= n; i += 8) {
    const __m256 vg = _mm256_loadu_ps(g + i);
    const __m256 e = detail::exp256(_mm256_sub_ps(_mm256_setzero_ps(), vg));
    const __m256 s = _mm256_div_ps(vg, _mm256_add_ps(one, e));
    _mm256_storeu_ps(y + i, _mm256_mul_ps(s, _mm256_loadu_ps(u + i)));
  }
  run_scalar(g + i, u + i, n - i, y + i);
}

__attribute__((target("avx512f"))) void run_avx512(const float* g, const float* u, int64_t n, float* y) {
  int64_t i = 0;
  const __m512 one = _mm512_set1_ps(1.0f);
  for (; i + 16 <= n; i += 16) {
    const __m512 vg = _mm512_loadu_ps(g + i);
    const __m512 e = detail::exp512(_mm512_sub_ps(_mm512_setzero_ps(), vg));
    const __m512 s = _mm512_div_ps(vg, _mm512_add_ps(one, e));
    _mm512_storeu_ps(y + i, _mm512_mul_ps(s, _mm512_loadu_ps(u + i)));
  }
  run_scalar(g + i, u + i, n - i, y + i);
}

}  // namespace

void swiglu(CpuBackend& cpu, const float* gate, const float* up, int64_t n, float* y) {
  auto fn = run_scalar;
  if (cpu.simd() == SimdLevel::Avx512) {
    fn = run_avx512;
  } else if (cpu.simd() == SimdLevel::Avx2) {
    fn = run_avx2;
  }
  // Chunks of 4096 elements: a decode step's few thousand values stay on the calling thread.
  constexpr int64_t kChunk = 4096;
  if (n <= kChunk) {
    fn(gate, up, n, y);
    return;
  }
  cpu.pool().parallel_for((n + kChunk - 1) / kChunk, [&](int64_t c0, int64_t c1) {
    const int64_t b = c0 * kChunk;
    const int64_t e = std::min(n, c1 * kChunk);
    fn(gate + b, up + b, e - b, y + b);
  });
}

}  // namespace pgpp::kernels::cpu
