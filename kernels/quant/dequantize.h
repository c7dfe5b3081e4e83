#pragma once
// Block formats to floats: the scalar reference every fast kernel is tested against.
#include <cstdint>

#include "kernels/dtype.h"

namespace pgpp::kernels::quant {

bool can_dequantize(DType type);
// n must be a multiple of the type's block size.
void dequantize_row(DType type, const void* src, float* dst, int64_t n);

}  // namespace pgpp::kernels::quant
