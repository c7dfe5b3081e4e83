#pragma once
// Block formats to floats: the scalar reference every fast kernel is tested against.
// Knows F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K.
#include <cstdint>

#include "kernels/dtype.h"

namespace pgpp::kernels::quant {

bool can_dequantize(DType type);
// n must be a multiple of the type's block size; throws pgpp::Error for unknown types.
void dequantize_row(DType type, const void* src, float* dst, int64_t n);

}  // namespace pgpp::kernels::quant
