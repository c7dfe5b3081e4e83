#pragma once
// The gated feed-forward activation of Llama-family models: y = silu(gate) * up, where
// silu(g) = g / (1 + e^-g).
#include <cstdint>

#include "kernels/cpu_backend.h"

namespace pgpp::kernels::cpu {

// gate, up and y have n floats (y may equal gate).
void swiglu(CpuBackend& cpu, const float* gate, const float* up, int64_t n, float* y);

}  // namespace pgpp::kernels::cpu
