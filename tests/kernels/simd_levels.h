#pragma once
// The SIMD levels this CPU can run, for tests that check every code path of a kernel.
#include <vector>

#include "kernels/cpu_features.h"

namespace pgpp::test {

inline std::vector<kernels::SimdLevel> simd_levels_here() {
  std::vector<kernels::SimdLevel> out;
  const auto best = kernels::detect_cpu_features().best_level();
  for (auto l : {kernels::SimdLevel::Scalar, kernels::SimdLevel::Avx2, kernels::SimdLevel::Avx512}) {
    if (static_cast<int>(l) <= static_cast<int>(best)) out.push_back(l);
  }
  return out;
}

}  // namespace pgpp::test
