#include "kernels/cpu/gelu.h"

#include <cmath>

#include "kernels/cpu/simd_math.h"

// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 intrinsics (they start from
// _mm512_undefined_ps); a known false positive, silenced for this file only.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace pgpp::kernels::cpu {

namespace {

// gelu(x) = x/2 * erfc(-x/sqrt2). erfc(z) for z >= 0 by Numerical Recipes' Chebyshev fit
// (erfcc: fractional error < 1.2e-7 everywhere), erfc(-z) = 2 - erfc(z). Computing erfc, not
// erf, keeps the relative error small for large negative x, where gelu is tiny.
constexpr float kErfcC[10] = {-1.26551223f, 1.00002368f, 0.37409196f,  0.09678418f, -0.18628806f,
                              0.27886807f,  -1.13520398f, 1.48851587f, -0.82215223f, 0.17087277f};
constexpr float kInvSqrt2 = 0.70710678118654752f;

void gelu_scalar(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * std::erfc(-x[i] * kInvSqrt2);
}

__attribute__((target("avx512f"))) void gelu_avx512(float* x, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = static_cast<__mmask16>(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __m512 z = _mm512_abs_ps(_mm512_mul_ps(v, _mm512_set1_ps(kInvSqrt2)));
    const __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(z, _mm512_set1_ps(0.5f), _mm512_set1_ps(1.0f)));
    __m512 p = _mm512_set1_ps(kErfcC[9]);
    for (int k = 8; k >= 0; --k) p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kErfcC[k]));
    const __m512 e = _mm512_mul_ps(t, detail::exp512(_mm512_fnmadd_ps(z, z, p)));  // erfc(|x|/sqrt2)
    const __mmask16 pos = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GE_OQ);
    const __m512 c = _mm512_mask_sub_ps(e, pos, _mm512_set1_ps(2.0f), e);       // erfc(-x/sqrt2)
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_mul_ps(v, _mm512_set1_ps(0.5f)), c));
  }
}

__attribute__((target("avx2,fma"))) void gelu_avx2(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 z = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_mul_ps(v, _mm256_set1_ps(kInvSqrt2)));
    const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(z, _mm256_set1_ps(0.5f), _mm256_set1_ps(1.0f)));
    __m256 p = _mm256_set1_ps(kErfcC[9]);
    for (int k = 8; k >= 0; --k) p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kErfcC[k]));
    const __m256 e = _mm256_mul_ps(t, detail::exp256(_mm256_fnmadd_ps(z, z, p)));
    const __m256 pos = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GE_OQ);
    const __m256 c = _mm256_blendv_ps(e, _mm256_sub_ps(_mm256_set1_ps(2.0f), e), pos);
    _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(v, _mm256_set1_ps(0.5f)), c));
  }
  gelu_scalar(x + i, n - i);
}

}  // namespace

void gelu(CpuBackend& cpu, float* x, int64_t n) {
  auto fn = cpu.simd() == SimdLevel::Avx512 ? gelu_avx512 : cpu.simd() == SimdLevel::Avx2 ? gelu_avx2 : gelu_scalar;
  cpu.pool().parallel_for(n, [&](int64_t b, int64_t e) { fn(x + b, e - b); }, 4096);
}

}  // namespace pgpp::kernels::cpu
