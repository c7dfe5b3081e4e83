#pragma once
// Softmax over rows, in place: x[r][i] = exp(x[r][i] - max_r) / sum_r.
#include <cstdint>

#include "kernels/cpu_backend.h"

namespace pgpp::kernels::cpu {

// One row on the calling thread (for use inside other kernels' parallel loops).
void softmax_row(SimdLevel level, float* x, int64_t n);
// rows x n, rows spread over the pool.
void softmax(CpuBackend& cpu, float* x, int64_t rows, int64_t n);

}  // namespace pgpp::kernels::cpu
