#pragma once
// Matrix products with quantized-block weights (Q4_0, Q4_1, Q8_0, K-quants, ...).
#include "kernels/cpu_backend.h"
#include "kernels/tensor_view.h"

namespace pgpp::kernels::cpu {

void matmul_quantized(CpuBackend& cpu, const TensorView& w, const float* x, int64_t n_tokens, float* y);

}  // namespace pgpp::kernels::cpu
