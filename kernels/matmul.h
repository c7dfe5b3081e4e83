#pragma once
// Matrix products with a weight tensor as models use them: every linear layer of the encoder
// and the decoder goes through here.
//
//   y[t][r] = sum_k W[r][k] * x[t][k]     t < n_tokens, r < W.ne[1], k < W.ne[0]
//
// W is a 2-D tensor in any supported type (F32, F16, BF16, quantized blocks), rows contiguous
// (GGML order: ne[0] = in_features). x is n_tokens x ne[0] floats, row-major; y is
// n_tokens x ne[1] floats, row-major. Work is spread over the backend's thread pool and
// dispatched to its SIMD level.
#include <cstdint>
#include <span>

#include "kernels/cpu_backend.h"
#include "kernels/tensor_view.h"

namespace pgpp::kernels {

void matmul(CpuBackend& cpu, const TensorView& w, const float* x, int64_t n_tokens, float* y);

// ys[i] = ws[i] x for matrices that share their input (a layer's Q, K and V; gate and up).
// Same results as one matmul() each; for one token of quantized weights, the activations are
// quantized once and all rows go to the pool in one hand-off instead of one per matrix.
void matmul_shared_input(CpuBackend& cpu, std::span<const TensorView* const> ws, const float* x,
                         int64_t n_tokens, std::span<float* const> ys);

// Row `row` of W as floats (embedding look-up): dst has W.ne[0] elements.
void get_row(const TensorView& w, int64_t row, float* dst);

// True when matmul and get_row accept this weight type.
bool matmul_supports(DType type);

}  // namespace pgpp::kernels
