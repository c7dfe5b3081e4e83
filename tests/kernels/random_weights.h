#pragma once
// Random weight rows in every block format the matrix products accept, for tests of the
// kernels that decode them: random bytes for the quantized values (every bit pattern a real
// file may hold), with the scale fields overwritten by finite values of a realistic size, so a
// test sees neither infinities nor NaN that no model contains. Plain types get random finite
// values. Q8_0 can also be made by quantizing random floats (quant::quantize_row_q8_0).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/dtype.h"
#include "kernels/float16.h"

namespace pgpp::kernels::testing {

// Every weight type kernels::matmul supports on the CPU.
inline constexpr DType kWeightTypes[] = {
    DType::F32,  DType::F16,  DType::BF16, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
    DType::Q8_0, DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::Q8_K};

// Where a block keeps its scales (per kernels/quant/dequantize.cpp): byte offsets of f16 scale
// and minimum fields, and of an f32 scale (Q8_K); -1 for none.
struct ScaleFields {
  int f16[2];
  int f32;
};

inline ScaleFields scale_fields(DType t) {
  switch (t) {
    case DType::Q4_0:
    case DType::Q5_0:
    case DType::Q8_0:
      return {{0, -1}, -1};
    case DType::Q4_1:
    case DType::Q5_1:
    case DType::Q4_K:
    case DType::Q5_K:
      return {{0, 2}, -1};
    case DType::Q2_K:
      return {{80, 82}, -1};
    case DType::Q3_K:
      return {{108, -1}, -1};
    case DType::Q6_K:
      return {{208, -1}, -1};
    case DType::Q8_K:
      return {{-1, -1}, 0};
    default:
      return {{-1, -1}, -1};
  }
}

// rows x cols weights of type t, rows back to back (row_bytes(t, cols) each).
inline std::vector<uint8_t> random_weight_rows(DType t, int64_t rows, int64_t cols,
                                               std::mt19937& rng) {
  const std::size_t rb = row_bytes(t, cols);
  std::vector<uint8_t> out(rb * static_cast<std::size_t>(rows));
  std::uniform_int_distribution<int> byte(0, 255);
  std::normal_distribution<float> value(0.0f, 1.0f);
  // Scales spread over two decades and both signs, as real tensors' are.
  std::uniform_real_distribution<float> magnitude(-3.0f, -1.0f);
  auto scale = [&] { return std::pow(10.0f, magnitude(rng)) * (byte(rng) & 1 ? 1.0f : -1.0f); };
  const auto n = static_cast<std::size_t>(rows * cols);
  switch (t) {
    case DType::F32:
      for (std::size_t i = 0; i < n; ++i) {
        const float v = value(rng);
        std::memcpy(out.data() + 4 * i, &v, 4);
      }
      return out;
    case DType::F16:
    case DType::BF16:
      for (std::size_t i = 0; i < n; ++i) {
        const uint16_t h = t == DType::F16 ? fp32_to_fp16(value(rng)) : fp32_to_bf16(value(rng));
        std::memcpy(out.data() + 2 * i, &h, 2);
      }
      return out;
    default:
      break;
  }
  for (auto& b : out) b = static_cast<uint8_t>(byte(rng));
  const auto traits = dtype_traits(t);
  const ScaleFields fields = scale_fields(t);
  for (std::size_t off = 0; off < out.size(); off += static_cast<std::size_t>(traits.block_bytes)) {
    for (int f : fields.f16) {
      if (f < 0) continue;
      const uint16_t h = fp32_to_fp16(scale());
      std::memcpy(out.data() + off + static_cast<std::size_t>(f), &h, 2);
    }
    if (fields.f32 >= 0) {
      const float d = scale();
      std::memcpy(out.data() + off + static_cast<std::size_t>(fields.f32), &d, 4);
    }
  }
  return out;
}

inline std::vector<float> random_floats(std::size_t n, std::mt19937& rng, float sigma = 1.0f) {
  std::normal_distribution<float> value(0.0f, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = value(rng);
  return v;
}

}  // namespace pgpp::kernels::testing
