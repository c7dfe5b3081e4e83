#include "kernels/cpu_features.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace pgpp::kernels {
namespace {

TEST(CpuFeatures, LevelsAreConsistentWithTheFlags) {
  const auto f = detect_cpu_features();
  if (f.best_level() == SimdLevel::Avx512) EXPECT_TRUE(f.avx2 && f.avx512f && f.avx512vnni);
  if (f.best_level() >= SimdLevel::Avx2) EXPECT_TRUE(f.avx2 && f.fma && f.f16c);
  EXPECT_FALSE(f.describe().empty());
}

TEST(CpuFeatures, TheEnvironmentCanLowerButNotRaiseTheLevel) {
  const auto best = detect_cpu_features().best_level();
  setenv("PGPP_SIMD", "scalar", 1);
  EXPECT_EQ(default_simd_level(), SimdLevel::Scalar);
  setenv("PGPP_SIMD", "avx512", 1);
  EXPECT_EQ(default_simd_level(), best);
  unsetenv("PGPP_SIMD");
  EXPECT_EQ(default_simd_level(), best);
  EXPECT_EQ(parse_simd_level("avx2"), SimdLevel::Avx2);
  EXPECT_FALSE(parse_simd_level("sse9").has_value());
}

}  // namespace
}  // namespace pgpp::kernels
