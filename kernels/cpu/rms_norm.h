#pragma once
// RMSNorm as Llama-family models use it: y = x / sqrt(mean(x^2) + eps) * weight, per row.
#include <cstdint>

#include "kernels/cpu_backend.h"

namespace pgpp::kernels::cpu {

// x and y are rows x n floats, row-major (y may equal x); weight has n floats.
void rms_norm(CpuBackend& cpu, const float* x, const float* weight, int64_t rows, int64_t n, float eps,
              float* y);

}  // namespace pgpp::kernels::cpu
