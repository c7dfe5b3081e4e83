#include "kernels/cpu/rope.h"

#include <cmath>
#include <string>

#include "kernels/error.h"

namespace pgpp::kernels::cpu {

Rope::Rope(int64_t head_dim, int64_t n_rot, double base, RopeOrder order, std::vector<float> freq_factors,
           double linear_scale)
    : head_dim_(head_dim), n_rot_(n_rot), order_(order) {
  if (n_rot <= 0 || n_rot > head_dim || n_rot % 2 != 0) {
    throw Error("rope: rotary dimension " + std::to_string(n_rot) + " does not fit head size " +
                std::to_string(head_dim));
  }
  if (!freq_factors.empty() && static_cast<int64_t>(freq_factors.size()) != n_rot / 2) {
    throw Error("rope: " + std::to_string(freq_factors.size()) + " frequency factors for " +
                std::to_string(n_rot / 2) + " rotary pairs");
  }
  theta_.resize(static_cast<std::size_t>(n_rot / 2));
  for (int64_t i = 0; i < n_rot / 2; ++i) {
    double t = std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(n_rot));
    if (!freq_factors.empty()) t /= freq_factors[static_cast<std::size_t>(i)];
    theta_[static_cast<std::size_t>(i)] = t / linear_scale;
  }
}

// Kept scalar on purpose: per token it is n_rot/2 sin/cos pairs shared by all heads and a few
// hundred multiply-adds, under 1% of a layer's time; the angles are computed in double so long
// positions keep their accuracy.
void Rope::apply(CpuBackend& cpu, float* x, int64_t n_tokens, int64_t n_heads, const int32_t* positions) const {
  const int64_t half = n_rot_ / 2;
  auto run = [&](int64_t t0, int64_t t1) {
    std::vector<float> cs(static_cast<std::size_t>(n_rot_));
    for (int64_t t = t0; t < t1; ++t) {
      for (int64_t i = 0; i < half; ++i) {
        const double a = positions[t] * theta_[static_cast<std::size_t>(i)];
        cs[static_cast<std::size_t>(2 * i)] = static_cast<float>(std::cos(a));
        cs[static_cast<std::size_t>(2 * i + 1)] = static_cast<float>(std::sin(a));
      }
      for (int64_t h = 0; h < n_heads; ++h) {
        float* v = x + (t * n_heads + h) * head_dim_;
        for (int64_t i = 0; i < half; ++i) {
          const float c = cs[static_cast<std::size_t>(2 * i)];
          const float s = cs[static_cast<std::size_t>(2 * i + 1)];
          const int64_t a = order_ == RopeOrder::Normal ? 2 * i : i;
          const int64_t b = order_ == RopeOrder::Normal ? 2 * i + 1 : i + half;
          const float x0 = v[a];
          const float x1 = v[b];
          v[a] = x0 * c - x1 * s;
          v[b] = x0 * s + x1 * c;
        }
      }
    }
  };
  if (n_tokens == 1) {
    run(0, 1);
  } else {
    cpu.pool().parallel_for(n_tokens, run, 4);
  }
}

}  // namespace pgpp::kernels::cpu
