#pragma once
// Matrix products with quantized-block weights (Q4_0, Q4_1, Q8_0, K-quants, ...).
#include <span>

#include "kernels/cpu_backend.h"
#include "kernels/tensor_view.h"

namespace pgpp::kernels::cpu {

void matmul_quantized(CpuBackend& cpu, const TensorView& w, const float* x, int64_t n_tokens,
                      float* y);

// One token through several quantized matrices with the same input width, in one pool
// hand-off. False (nothing done) when one of them has no integer kernel.
bool gemv_quantized_shared_input(CpuBackend& cpu, std::span<const TensorView* const> ws,
                                 const float* x, std::span<float* const> ys);

}  // namespace pgpp::kernels::cpu
