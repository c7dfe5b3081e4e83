#include "kernels/cpu/layer_norm.h"

#include <cmath>

namespace pgpp::kernels::cpu {

namespace {

// Written as 16 independent lanes so the compiler vectorizes the sums inside each target
// wrapper below (a plain float sum would need -ffast-math to be reordered).
constexpr int kLanes = 16;

__attribute__((always_inline)) inline void layer_norm_row(float* x, const float* res, int64_t n,
                                                          const float* gamma, const float* beta, float eps) {
  float lane[kLanes] = {};
  int64_t i = 0;
  if (res) {
    for (int64_t j = 0; j < n; ++j) x[j] += res[j];
  }
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] += x[i + l];
  float sum = 0;
  for (int l = 0; l < kLanes; ++l) sum += lane[l];
  for (int64_t j = i; j < n; ++j) sum += x[j];
  const float mean = sum / static_cast<float>(n);
  float lane2[kLanes] = {};
  for (i = 0; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float d = x[i + l] - mean;
      lane2[l] += d * d;
    }
  float var = 0;
  for (int l = 0; l < kLanes; ++l) var += lane2[l];
  for (int64_t j = i; j < n; ++j) var += (x[j] - mean) * (x[j] - mean);
  const float inv = 1.0f / std::sqrt(var / static_cast<float>(n) + eps);
  for (int64_t j = 0; j < n; ++j) x[j] = (x[j] - mean) * inv * gamma[j] + beta[j];
}

void rows_scalar(float* x, const float* res, int64_t r0, int64_t r1, int64_t n, const float* g, const float* b, float eps) {
  for (int64_t r = r0; r < r1; ++r) layer_norm_row(x + r * n, res ? res + r * n : nullptr, n, g, b, eps);
}
__attribute__((target("avx2,fma"))) void rows_avx2(float* x, const float* res, int64_t r0, int64_t r1, int64_t n,
                                                   const float* g, const float* b, float eps) {
  for (int64_t r = r0; r < r1; ++r) layer_norm_row(x + r * n, res ? res + r * n : nullptr, n, g, b, eps);
}
__attribute__((target("avx512f"))) void rows_avx512(float* x, const float* res, int64_t r0, int64_t r1, int64_t n,
                                                    const float* g, const float* b, float eps) {
  for (int64_t r = r0; r < r1; ++r) layer_norm_row(x + r * n, res ? res + r * n : nullptr, n, g, b, eps);
}

}  // namespace

void layer_norm(CpuBackend& cpu, float* x, const float* residual, int64_t rows, int64_t n,
                const float* gamma, const float* beta, float eps) {
  auto fn = cpu.simd() == SimdLevel::Avx512 ? rows_avx512 : cpu.simd() == SimdLevel::Avx2 ? rows_avx2 : rows_scalar;
  cpu.pool().parallel_for(rows, [&](int64_t b, int64_t e) { fn(x, residual, b, e, n, gamma, beta, eps); }, 8);
}

}  // namespace pgpp::kernels::cpu
