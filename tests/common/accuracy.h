#pragma once
// How far a computed vector is from its reference, as the GPU tests measure it against the CPU
// backend: ||out - ref|| / ||ref|| in double, and how many values are NaN (never acceptable).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

namespace pgpp::test {

inline double relative_error(std::span<const float> out, std::span<const float> ref) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double d = static_cast<double>(out[i]) - ref[i];
    diff += d * d;
    norm += static_cast<double>(ref[i]) * ref[i];
  }
  return std::sqrt(diff / std::max(norm, 1e-300));
}

inline std::size_t count_nan(std::span<const float> v) {
  return static_cast<std::size_t>(
      std::count_if(v.begin(), v.end(), [](float x) { return std::isnan(x); }));
}

}  // namespace pgpp::test
