// Blocks whose values were worked out by hand from the GGUF block layouts, independent of any
// reference implementation.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernels/float16.h"
#include "kernels/quant/dequantize.h"

namespace pgpp::kernels::quant {
namespace {

void put_half(std::vector<uint8_t>& b, std::size_t at, float v) {
  const uint16_t h = fp32_to_fp16(v);
  std::memcpy(&b[at], &h, 2);
}

TEST(DequantizeByHand, Q4_0) {
  // d = 0.5; byte j holds weight j (low nibble) and weight j+16 (high nibble); value (q-8)*d.
  std::vector<uint8_t> b(18, 0);
  put_half(b, 0, 0.5f);
  b[2] = 0xF0;   // w0 = (0-8)*0.5 = -4, w16 = (15-8)*0.5 = 3.5
  b[17] = 0x9A;  // w15 = (10-8)*0.5 = 1, w31 = (9-8)*0.5 = 0.5
  std::vector<float> y(32);
  dequantize_row(DType::Q4_0, b.data(), y.data(), 32);
  EXPECT_EQ(y[0], -4.0f);
  EXPECT_EQ(y[16], 3.5f);
  EXPECT_EQ(y[15], 1.0f);
  EXPECT_EQ(y[31], 0.5f);
  EXPECT_EQ(y[1], -4.0f);  // byte 0 -> q = 0 in both nibbles
}

TEST(DequantizeByHand, Q4_1) {
  // d = 0.25, m = -1; value q*d + m.
  std::vector<uint8_t> b(20, 0);
  put_half(b, 0, 0.25f);
  put_half(b, 2, -1.0f);
  b[4] = 0x4C;  // w0 = 12*0.25-1 = 2, w16 = 4*0.25-1 = 0
  std::vector<float> y(32);
  dequantize_row(DType::Q4_1, b.data(), y.data(), 32);
  EXPECT_EQ(y[0], 2.0f);
  EXPECT_EQ(y[16], 0.0f);
  EXPECT_EQ(y[5], -1.0f);
}

TEST(DequantizeByHand, Q8_0) {
  // d = 2; value q*d for signed bytes.
  std::vector<uint8_t> b(34, 0);
  put_half(b, 0, 2.0f);
  b[2] = 0x7F;   // 127 -> 254
  b[3] = 0x80;   // -128 -> -256
  b[33] = 0xFF;  // -1 -> -2
  std::vector<float> y(32);
  dequantize_row(DType::Q8_0, b.data(), y.data(), 32);
  EXPECT_EQ(y[0], 254.0f);
  EXPECT_EQ(y[1], -256.0f);
  EXPECT_EQ(y[31], -2.0f);
}

}  // namespace
}  // namespace pgpp::kernels::quant
