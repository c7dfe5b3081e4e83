#pragma once
// GELU with the exact (erf) form BERT uses: gelu(x) = x/2 * (1 + erf(x/sqrt 2)), in place, over
// the backend's threads and SIMD level.
#include <cstdint>

#include "kernels/cpu_backend.h"

namespace pgpp::kernels::cpu {

void gelu(CpuBackend& cpu, float* x, int64_t n);

}  // namespace pgpp::kernels::cpu
