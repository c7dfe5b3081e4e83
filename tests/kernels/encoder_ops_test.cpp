// LayerNorm, GELU, softmax and packed-sequence attention against naive double-precision
// versions, on every SIMD level this CPU has, with lengths that are not multiples of the SIMD
// width.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/attention.h"
#include "kernels/cpu/gelu.h"
#include "kernels/cpu/layer_norm.h"
#include "kernels/cpu/softmax.h"
#include "tests/kernels/simd_levels.h"

namespace pgpp::kernels {
namespace {

std::vector<float> random_vector(std::size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::string name(SimdLevel l) { return std::string(simd_level_name(l)); }

TEST(Gelu, MatchesErfFormOnEveryLevel) {
  std::mt19937 rng(1);
  for (const auto level : test::simd_levels_here()) {
    CpuBackend cpu(2, level);
    for (const int64_t n : {1, 7, 8, 15, 16, 17, 100, 4099, 20000}) {
      auto x = random_vector(static_cast<std::size_t>(n), rng, 4.0f);
      if (n > 10) x[3] = -20.0f, x[4] = 20.0f, x[5] = 0.0f, x[6] = -9.0f;
      auto y = x;
      cpu::gelu(cpu, y.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        const double v = x[i], ref = 0.5 * v * std::erfc(-v / std::sqrt(2.0));
        // x/sqrt2 rounded to float alone moves erfc by a relative 2z^2 * 6e-8 (z = x/sqrt2), so the
        // bound grows with x^2; the fitted erfc alone is good to ~1.2e-7 and float arithmetic on it to a few 1e-7.
        EXPECT_NEAR(y[i], ref, (1e-6 + 1.2e-7 * v * v) * std::fabs(ref) + 1e-30) << name(level) << " x=" << v;
      }
    }
  }
}

TEST(Softmax, MatchesDoublePrecisionOnEveryLevel) {
  std::mt19937 rng(2);
  for (const auto level : test::simd_levels_here()) {
    CpuBackend cpu(2, level);
    for (const int64_t n : {1, 3, 8, 15, 16, 17, 31, 33, 256, 1000}) {
      const int64_t rows = 5;
      auto x = random_vector(static_cast<std::size_t>(rows * n), rng, 6.0f);
      x[0] = -100.0f;  // underflows to 0 after the max is subtracted
      auto y = x;
      cpu::softmax(cpu, y.data(), rows, n);
      for (int64_t r = 0; r < rows; ++r) {
        double mx = -1e300, sum = 0;
        for (int64_t i = 0; i < n; ++i) mx = std::max(mx, static_cast<double>(x[r * n + i]));
        for (int64_t i = 0; i < n; ++i) sum += std::exp(x[r * n + i] - mx);
        for (int64_t i = 0; i < n; ++i) {
          const double ref = std::exp(x[r * n + i] - mx) / sum;
          // x - max rounded to float moves exp by a relative |x - max| * 6e-8.
          const double d = std::fabs(x[r * n + i] - mx);
          EXPECT_NEAR(y[r * n + i], ref, (2e-6 + 1.2e-7 * d) * ref + 1e-37) << name(level) << " n=" << n;
        }
      }
    }
  }
}

TEST(LayerNorm, MatchesDoublePrecisionWithAndWithoutResidual) {
  std::mt19937 rng(3);
  for (const auto level : test::simd_levels_here()) {
    CpuBackend cpu(2, level);
    for (const int64_t n : {1, 5, 16, 17, 383, 384, 1000}) {
      const int64_t rows = 11;
      const auto x = random_vector(static_cast<std::size_t>(rows * n), rng, 3.0f);
      const auto res = random_vector(x.size(), rng);
      const auto g = random_vector(static_cast<std::size_t>(n), rng), b = random_vector(static_cast<std::size_t>(n), rng);
      for (const bool with_res : {false, true}) {
        auto y = x;
        cpu::layer_norm(cpu, y.data(), with_res ? res.data() : nullptr, rows, n, g.data(), b.data(), 1e-12f);
        for (int64_t r = 0; r < rows; ++r) {
          double mean = 0, var = 0;
          std::vector<double> s(static_cast<std::size_t>(n));
          for (int64_t i = 0; i < n; ++i) mean += s[i] = x[r * n + i] + (with_res ? res[r * n + i] : 0.0);
          mean /= n;
          for (int64_t i = 0; i < n; ++i) var += (s[i] - mean) * (s[i] - mean);
          var /= n;
          for (int64_t i = 0; i < n; ++i) {
            const double ref = (s[i] - mean) / std::sqrt(var + 1e-12) * g[i] + b[i];
            EXPECT_NEAR(y[r * n + i], ref, 2e-5 * (std::fabs(g[i]) + std::fabs(ref)) + (n == 1 ? 1e-3 : 0.0))
                << name(level) << " n=" << n;
          }
        }
      }
    }
  }
}

TEST(Attention, PackedSequencesMatchPerSequenceDoublePrecision) {
  std::mt19937 rng(4);
  for (const auto level : test::simd_levels_here()) {
    CpuBackend cpu(3, level);
    for (const int64_t head_dim : {32, 17}) {
      const int64_t heads = 3, width = heads * head_dim, ld = width + 5;
      const std::vector<int64_t> begin = {0, 1, 1, 18, 51, 151};  // includes an empty sequence
      const int64_t tokens = begin.back();
      const auto q = random_vector(static_cast<std::size_t>(tokens * ld), rng);
      const auto k = random_vector(q.size(), rng), v = random_vector(q.size(), rng);
      std::vector<float> out(static_cast<std::size_t>(tokens * width), NAN);
      const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
      cpu::attention(cpu, q.data(), k.data(), v.data(), ld, begin.data(), 5, heads, head_dim, scale, out.data(), width);
      for (std::size_t s = 0; s + 1 < begin.size(); ++s) {
        for (int64_t h = 0; h < heads; ++h) {
          for (int64_t i = begin[s]; i < begin[s + 1]; ++i) {
            std::vector<double> p;
            double mx = -1e300, sum = 0;
            for (int64_t j = begin[s]; j < begin[s + 1]; ++j) {
              double d = 0;
              for (int64_t c = 0; c < head_dim; ++c) d += static_cast<double>(q[i * ld + h * head_dim + c]) * k[j * ld + h * head_dim + c];
              p.push_back(d * scale);
              mx = std::max(mx, p.back());
            }
            for (auto& e : p) sum += (e = std::exp(e - mx));
            for (int64_t c = 0; c < head_dim; ++c) {
              double ref = 0;
              for (int64_t j = begin[s]; j < begin[s + 1]; ++j) ref += p[j - begin[s]] / sum * v[j * ld + h * head_dim + c];
              EXPECT_NEAR(out[i * width + h * head_dim + c], ref, 1e-5) << name(level) << " seq " << s << " head " << h;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace pgpp::kernels
