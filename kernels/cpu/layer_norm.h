#pragma once
// LayerNorm over rows (BERT's, with the residual sum folded in):
//   x[r] = (s - mean(s)) / sqrt(var(s) + eps) * gamma + beta,   s = x[r] + residual[r]
// residual may be null. Biased variance, as torch.nn.LayerNorm.
#include <cstdint>

#include "kernels/cpu_backend.h"

namespace pgpp::kernels::cpu {

void layer_norm(CpuBackend& cpu, float* x, const float* residual, int64_t rows, int64_t n,
                const float* gamma, const float* beta, float eps);

}  // namespace pgpp::kernels::cpu
