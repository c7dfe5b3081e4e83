#pragma once
// Integer dot products of quantized weight rows with 8-bit activations (quant::ActivationBlock),
// one implementation per SIMD level. matmul_quantized.cpp quantizes the activations once and
// hands tiles of rows x tokens to these.
#include <cstddef>
#include <cstdint>

#include "kernels/cpu_features.h"
#include "kernels/dtype.h"
#include "kernels/quant/quantize.h"

namespace pgpp::kernels::cpu {

// For r < n_rows, t < n_tokens:
//   y[t * y_stride + r] = sum_k W[r][k] * x[t][k]
// W: n_rows rows of w_stride bytes each, k weights per row (k a multiple of the block size);
// x: n_tokens rows of k/32 activation blocks each, contiguous. Tokens are taken four at a
// time, so each weight block is unpacked once per four tokens.
using QuantTileFn = void (*)(int64_t k, const uint8_t* w, std::size_t w_stride, int64_t n_rows,
                             const quant::ActivationBlock* x, int64_t n_tokens, float* y,
                             int64_t y_stride);

// The kernel for a weight type at a SIMD level; nullptr when there is none (the caller then
// falls back to dequantized floats). Asking for a level this build or CPU lacks is the
// caller's error: check the CPU first (CpuBackend's level is always one the CPU has).
QuantTileFn quant_tile_kernel(DType type, SimdLevel level);

QuantTileFn quant_tile_scalar(DType type);
QuantTileFn quant_tile_avx2(DType type);
QuantTileFn quant_tile_avx512(DType type);

}  // namespace pgpp::kernels::cpu
