#include "kernels/float16.h"

#include <gtest/gtest.h>
#include <immintrin.h>

#include <cmath>

#include "kernels/cpu_features.h"

namespace pgpp::kernels {
namespace {

__attribute__((target("f16c"))) float hw_half_to_float(uint16_t h) { return _cvtsh_ss(h); }
__attribute__((target("f16c"))) uint16_t hw_float_to_half(float f) {
  return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT);
}

TEST(Float16, EveryHalfValueConvertsLikeTheHardware) {
  if (!detect_cpu_features().f16c) GTEST_SKIP() << "this CPU has no F16C to compare against";
  for (uint32_t h = 0; h < 65536; ++h) {
    const float ours = fp16_to_fp32(static_cast<uint16_t>(h));
    const float hw = hw_half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(hw)) {
      EXPECT_TRUE(std::isnan(ours)) << h;
    } else {
      ASSERT_EQ(ours, hw) << "half bits " << h;
    }
  }
}

TEST(Float16, RoundingToHalfMatchesTheHardware) {
  if (!detect_cpu_features().f16c) GTEST_SKIP() << "this CPU has no F16C to compare against";
  uint32_t state = 12345;
  for (int i = 0; i < 2'000'000; ++i) {
    state = state * 1664525u + 1013904223u;
    float f;
    std::memcpy(&f, &state, 4);
    if (std::isnan(f)) continue;
    ASSERT_EQ(fp32_to_fp16(f), hw_float_to_half(f)) << f;
  }
}

TEST(Float16, Bfloat16RoundsToNearestEven) {
  EXPECT_EQ(bf16_to_fp32(fp32_to_bf16(1.0f)), 1.0f);
  EXPECT_EQ(bf16_to_fp32(fp32_to_bf16(-2.5f)), -2.5f);
  EXPECT_NEAR(bf16_to_fp32(fp32_to_bf16(3.14159f)), 3.140625f, 1e-6);
  EXPECT_TRUE(std::isnan(bf16_to_fp32(fp32_to_bf16(NAN))));
}

}  // namespace
}  // namespace pgpp::kernels
