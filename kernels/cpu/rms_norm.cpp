#include "kernels/cpu/rms_norm.h"

#include <cmath>

#include "kernels/cpu/simd_math.h"

namespace pgpp::kernels::cpu {

namespace {

// Sum of squares in double on the scalar path; the vector paths keep float lanes, which is
// well within float accuracy for rows of a few thousand.
void row_scalar(const float* x, const float* w, int64_t n, float eps, float* y) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
}

__attribute__((target("avx2,fma"))) void row_avx2(const float* x, const float* w, int64_t n, float eps,
                                                  float* y) {
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    acc = _mm256_fmadd_ps(v, v, acc);
  }
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  s = _mm_hadd_ps(s, s);
  s = _mm_hadd_ps(s, s);
  float ss = _mm_cvtss_f32(s);
  for (; i < n; ++i) ss += x[i] * x[i];
  const float scale = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
  const __m256 vs = _mm256_set1_ps(scale);
  for (i = 0; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), vs), _mm256_loadu_ps(w + i)));
  }
  for (; i < n; ++i) y[i] = x[i] * scale * w[i];
}

__attribute__((target("avx512f"))) void row_avx512(const float* x, const float* w, int64_t n, float eps,
                                                   float* y) {
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    acc = _mm512_fmadd_ps(v, v, acc);
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    acc = _mm512_fmadd_ps(v, v, acc);
  }
  const float ss = _mm512_reduce_add_ps(acc);
  const __m512 vs = _mm512_set1_ps(1.0f / std::sqrt(ss / static_cast<float>(n) + eps));
  for (i = 0; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), vs), _mm512_loadu_ps(w + i)));
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(y + i, m,
                          _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), vs),
                                        _mm512_maskz_loadu_ps(m, w + i)));
  }
}

}  // namespace

void rms_norm(CpuBackend& cpu, const float* x, const float* weight, int64_t rows, int64_t n, float eps,
              float* y) {
  auto row = row_scalar;
  if (cpu.simd() == SimdLevel::Avx512) {
    row = row_avx512;
  } else if (cpu.simd() == SimdLevel::Avx2) {
    row = row_avx2;
  }
  auto run = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) row(x + r * n, weight, n, eps, y + r * n);
  };
  // One row (decode) is far cheaper than waking the pool.
  if (rows == 1) {
    run(0, 1);
  } else {
    cpu.pool().parallel_for(rows, run, 4);
  }
}

}  // namespace pgpp::kernels::cpu
