// The decoder's CPU ops (RMSNorm, RoPE, SwiGLU, attention over an F16 cache) against naive
// double-precision versions written from their definitions, on every SIMD level this CPU has.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/kv_attention.h"
#include "kernels/cpu/rms_norm.h"
#include "kernels/cpu/rope.h"
#include "kernels/cpu/swiglu.h"
#include "kernels/cpu_features.h"
#include "kernels/float16.h"

namespace pgpp::kernels::cpu {
namespace {

std::vector<SimdLevel> levels() {
  std::vector<SimdLevel> out;
  const SimdLevel best = detect_cpu_features().best_level();
  for (SimdLevel l : {SimdLevel::Scalar, SimdLevel::Avx2, SimdLevel::Avx512}) {
    if (static_cast<int>(l) <= static_cast<int>(best)) out.push_back(l);
  }
  return out;
}

std::vector<float> random_floats(std::size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

class DecoderOps : public ::testing::TestWithParam<SimdLevel> {
 protected:
  CpuBackend cpu_{2, GetParam()};
};

TEST_P(DecoderOps, RmsNormMatchesDefinition) {
  for (int64_t n : {576, 37, 4096}) {
    const int64_t rows = 5;
    const auto x = random_floats(static_cast<std::size_t>(rows * n), 1, 3.0f);
    const auto w = random_floats(static_cast<std::size_t>(n), 2);
    std::vector<float> y(x.size());
    rms_norm(cpu_, x.data(), w.data(), rows, n, 1e-5f, y.data());
    for (int64_t r = 0; r < rows; ++r) {
      double ss = 0;
      for (int64_t i = 0; i < n; ++i) ss += double(x[r * n + i]) * x[r * n + i];
      const double s = 1.0 / std::sqrt(ss / n + 1e-5);
      for (int64_t i = 0; i < n; ++i) {
        const double want = x[r * n + i] * s * w[i];
        ASSERT_NEAR(y[r * n + i], want, 1e-5 * (1 + std::abs(want))) << "n=" << n << " row " << r << " i " << i;
      }
    }
  }
}

TEST_P(DecoderOps, SwigluMatchesDefinition) {
  for (int64_t n : {1536, 13, 9000}) {
    const auto g = random_floats(static_cast<std::size_t>(n), 3, 6.0f);
    const auto u = random_floats(static_cast<std::size_t>(n), 4);
    std::vector<float> y(static_cast<std::size_t>(n));
    swiglu(cpu_, g.data(), u.data(), n, y.data());
    for (int64_t i = 0; i < n; ++i) {
      const double want = g[i] / (1.0 + std::exp(-double(g[i]))) * u[i];
      ASSERT_NEAR(y[i], want, 2e-6 * (1 + std::abs(want))) << "g=" << g[i];
    }
  }
  // Extremes must not overflow into NaN.
  const std::vector<float> g{-200.0f, -90.0f, 90.0f, 200.0f, 0.0f, -1e30f, 1e30f, 1.0f, 2.0f};
  const std::vector<float> u(g.size(), 1.0f);
  std::vector<float> y(g.size());
  swiglu(cpu_, g.data(), u.data(), static_cast<int64_t>(g.size()), y.data());
  for (std::size_t i = 0; i < g.size(); ++i) {
    const double want = g[i] > 0 ? g[i] / (1.0 + std::exp(-double(g[i]))) : g[i] * std::exp(double(g[i])) / (1.0 + std::exp(double(g[i])));
    EXPECT_NEAR(y[i], want, 1e-6 * (1 + std::abs(want))) << "g=" << g[i];
  }
}

void naive_rope(std::vector<double>& x, int64_t n_tokens, int64_t n_heads, int64_t hd, int64_t n_rot, double base,
                RopeOrder order, const std::vector<float>& ff, const std::vector<int32_t>& pos) {
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t h = 0; h < n_heads; ++h) {
      double* v = x.data() + (t * n_heads + h) * hd;
      for (int64_t i = 0; i < n_rot / 2; ++i) {
        double theta = std::pow(base, -2.0 * i / n_rot);
        if (!ff.empty()) theta /= ff[i];
        const double a = pos[t] * theta;
        const int64_t p = order == RopeOrder::Normal ? 2 * i : i;
        const int64_t q = order == RopeOrder::Normal ? 2 * i + 1 : i + n_rot / 2;
        const double x0 = v[p], x1 = v[q];
        v[p] = x0 * std::cos(a) - x1 * std::sin(a);
        v[q] = x0 * std::sin(a) + x1 * std::cos(a);
      }
    }
  }
}

TEST_P(DecoderOps, RopeMatchesDefinitionInBothOrders) {
  const int64_t n_tokens = 3, n_heads = 4, hd = 64;
  const std::vector<int32_t> pos{0, 7, 4000};
  for (RopeOrder order : {RopeOrder::Normal, RopeOrder::NeoX}) {
    for (int64_t n_rot : {64, 32}) {
      std::vector<float> ff;
      if (n_rot == 64) {  // Llama 3.1-style frequency factors on the full-rotary case
        for (int i = 0; i < 32; ++i) ff.push_back(1.0f + 0.25f * static_cast<float>(i % 5));
      }
      auto x = random_floats(static_cast<std::size_t>(n_tokens * n_heads * hd), 5);
      std::vector<double> want(x.begin(), x.end());
      naive_rope(want, n_tokens, n_heads, hd, n_rot, 500000.0, order, ff, pos);
      Rope rope(hd, n_rot, 500000.0, order, ff);
      rope.apply(cpu_, x.data(), n_tokens, n_heads, pos.data());
      for (std::size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], want[i], 2e-5) << "i=" << i << " n_rot=" << n_rot;
    }
  }
}

TEST_P(DecoderOps, AttentionMatchesDefinitionWithGroupedHeads) {
  const AttentionShape s{9, 3, 64};
  const int64_t kv_dim = s.n_kv_heads * s.head_dim;
  const int64_t first_pos = 21, n_tokens = 6, total = first_pos + n_tokens;
  const auto q = random_floats(static_cast<std::size_t>(n_tokens * s.n_heads * s.head_dim), 6);
  const auto kf = random_floats(static_cast<std::size_t>(total * kv_dim), 7);
  const auto vf = random_floats(static_cast<std::size_t>(total * kv_dim), 8);
  std::vector<uint16_t> k(kf.size()), v(vf.size());
  for (std::size_t i = 0; i < kf.size(); ++i) {
    k[i] = fp32_to_fp16(kf[i]);
    v[i] = fp32_to_fp16(vf[i]);
  }
  std::vector<float> out(q.size());
  const float scale = 0.125f;
  kv_attention(cpu_, s, q.data(), n_tokens, first_pos, k.data(), v.data(), kv_dim, scale, out.data());
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t h = 0; h < s.n_heads; ++h) {
      const int64_t g = h / (s.n_heads / s.n_kv_heads);
      const int64_t nk = first_pos + t + 1;
      std::vector<double> p(static_cast<std::size_t>(nk));
      double max = -1e300, sum = 0;
      for (int64_t j = 0; j < nk; ++j) {
        double d = 0;
        for (int64_t i = 0; i < s.head_dim; ++i) {
          d += double(q[(t * s.n_heads + h) * s.head_dim + i]) * fp16_to_fp32(k[j * kv_dim + g * s.head_dim + i]);
        }
        p[j] = d * scale;
        max = std::max(max, p[j]);
      }
      for (double& x : p) sum += (x = std::exp(x - max));
      for (int64_t i = 0; i < s.head_dim; ++i) {
        double want = 0;
        for (int64_t j = 0; j < nk; ++j) want += p[j] / sum * fp16_to_fp32(v[j * kv_dim + g * s.head_dim + i]);
        ASSERT_NEAR(out[(t * s.n_heads + h) * s.head_dim + i], want, 1e-5) << "t=" << t << " h=" << h << " i=" << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EverySimdLevel, DecoderOps, ::testing::ValuesIn(levels()),
                         [](const auto& info) { return std::string(simd_level_name(info.param)); });

}  // namespace
}  // namespace pgpp::kernels::cpu
