#pragma once
// Matrix products with F32, F16 or BF16 weights (the encoder's, and float tensors of decoders).
#include "kernels/cpu_backend.h"
#include "kernels/tensor_view.h"

namespace pgpp::kernels::cpu {

void matmul_float(CpuBackend& cpu, const TensorView& w, const float* x, int64_t n_tokens, float* y);

}  // namespace pgpp::kernels::cpu
