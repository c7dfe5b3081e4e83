#include "kernels/quant/dequantize.h"

#include <cstring>
#include <string>

#include "kernels/error.h"
#include "kernels/float16.h"

namespace pgpp::kernels::quant {

namespace {

uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// Q4_0: f16 scale d, then 16 bytes of 4-bit values; weight j is (low nibble of byte j) and
// weight j+16 is (high nibble of byte j); value = (q - 8) * d.
void dequantize_q4_0(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 32; ++i, b += 18, y += 32) {
    const float d = fp16_to_fp32(load_u16(b));
    for (int j = 0; j < 16; ++j) {
      y[j] = static_cast<float>((b[2 + j] & 0x0F) - 8) * d;
      y[j + 16] = static_cast<float>((b[2 + j] >> 4) - 8) * d;
    }
  }
}

// Q4_1: f16 scale d, f16 minimum m, 16 bytes of 4-bit values; value = q * d + m.
void dequantize_q4_1(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 32; ++i, b += 20, y += 32) {
    const float d = fp16_to_fp32(load_u16(b));
    const float m = fp16_to_fp32(load_u16(b + 2));
    for (int j = 0; j < 16; ++j) {
      y[j] = static_cast<float>(b[4 + j] & 0x0F) * d + m;
      y[j + 16] = static_cast<float>(b[4 + j] >> 4) * d + m;
    }
  }
}

// Q8_0: f16 scale d, 32 signed bytes; value = q * d.
void dequantize_q8_0(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 32; ++i, b += 34, y += 32) {
    const float d = fp16_to_fp32(load_u16(b));
    for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(static_cast<int8_t>(b[2 + j])) * d;
  }
}

}  // namespace

bool can_dequantize(DType type) {
  switch (type) {
    case DType::F32: case DType::F16: case DType::BF16:
    case DType::Q4_0: case DType::Q4_1: case DType::Q8_0:
      return true;
    default:
      return false;
  }
}

void dequantize_row(DType type, const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const uint8_t*>(src);
  switch (type) {
    case DType::F32: std::memcpy(dst, src, static_cast<std::size_t>(n) * 4); return;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(load_u16(b + 2 * i));
      return;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(load_u16(b + 2 * i));
      return;
    case DType::Q4_0: dequantize_q4_0(b, dst, n); return;
    case DType::Q4_1: dequantize_q4_1(b, dst, n); return;
    case DType::Q8_0: dequantize_q8_0(b, dst, n); return;
    default:
      throw Error(std::string("cannot dequantize ") + std::string(dtype_name(type)));
  }
}

}  // namespace pgpp::kernels::quant
