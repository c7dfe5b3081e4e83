// The float GEMM/GEMV against a naive double-precision product, on every SIMD level this CPU
// has, with F32, F16 and BF16 weights and shapes that are not multiples of the SIMD width, the
// 32-row panel, the 256-wide K block or the token tile.
#include "kernels/cpu/matmul_float.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/float16.h"
#include "kernels/matmul.h"
#include "tests/kernels/simd_levels.h"

namespace pgpp::kernels {
namespace {

struct Weight {
  std::vector<uint16_t> half;
  std::vector<float> f32;
  std::vector<float> as_float;  // the exact values the kernel sees
  TensorView view;
};

Weight make_weight(DType type, int64_t rows, int64_t k, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  Weight w;
  w.as_float.resize(static_cast<std::size_t>(rows * k));
  if (type == DType::F32) {
    w.f32.resize(w.as_float.size());
    for (std::size_t i = 0; i < w.f32.size(); ++i) w.as_float[i] = w.f32[i] = dist(rng);
    w.view.data = reinterpret_cast<const std::byte*>(w.f32.data());
    w.view.nbytes = w.f32.size() * 4;
  } else {
    w.half.resize(w.as_float.size());
    for (std::size_t i = 0; i < w.half.size(); ++i) {
      const float f = dist(rng);
      w.half[i] = type == DType::F16 ? fp32_to_fp16(f) : fp32_to_bf16(f);
      w.as_float[i] = type == DType::F16 ? fp16_to_fp32(w.half[i]) : bf16_to_fp32(w.half[i]);
    }
    w.view.data = reinterpret_cast<const std::byte*>(w.half.data());
    w.view.nbytes = w.half.size() * 2;
  }
  w.view.name = "test.weight";
  w.view.type = type;
  w.view.n_dims = 2;
  w.view.ne = {k, rows, 1, 1};
  return w;
}

void expect_matches_reference(const Weight& w, const std::vector<float>& x, int64_t n_tokens,
                              const std::vector<float>& y, const std::string& what) {
  const int64_t k = w.view.ne[0], rows = w.view.ne[1];
  int bad = 0;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t r = 0; r < rows; ++r) {
      double ref = 0, mag = 0;
      for (int64_t i = 0; i < k; ++i) {
        const double p = static_cast<double>(w.as_float[r * k + i]) * x[t * k + i];
        ref += p;
        mag += std::fabs(p);
      }
      // float accumulation of k products: error bound ~ k * eps * sum|products|, far looser
      // than what a correct kernel shows; a wrong index or a missed tail is off by O(1).
      const double tol = 1e-6 * mag + 1e-6;
      if (std::fabs(y[t * rows + r] - ref) > tol && ++bad <= 5) {
        ADD_FAILURE() << what << ": y[" << t << "][" << r << "] = " << y[t * rows + r] << ", reference " << ref;
      }
    }
  }
  EXPECT_EQ(bad, 0) << what;
}

struct Shape {
  int64_t tokens, rows, k;
};

TEST(MatmulFloat, MatchesDoublePrecisionOnEveryLevelTypeAndShape) {
  const std::vector<Shape> shapes = {{1, 1, 1},    {1, 33, 17},   {2, 31, 384},  {3, 64, 1000},
                                     {4, 97, 255}, {5, 32, 256},  {7, 40, 257},  {9, 65, 513},
                                     {17, 96, 384}, {33, 130, 77}, {130, 70, 600}, {150, 100, 384}};
  std::mt19937 rng(7);
  for (const auto level : test::simd_levels_here()) {
    for (const int threads : {1, 3}) {
      CpuBackend cpu(threads, level);
      for (const DType type : {DType::F32, DType::F16, DType::BF16}) {
        for (const auto& s : shapes) {
          const Weight w = make_weight(type, s.rows, s.k, rng);
          std::vector<float> x(static_cast<std::size_t>(s.tokens * s.k));
          std::normal_distribution<float> dist(0.0f, 1.0f);
          for (auto& v : x) v = dist(rng);
          std::vector<float> y(static_cast<std::size_t>(s.tokens * s.rows), NAN);
          matmul(cpu, w.view, x.data(), s.tokens, y.data());
          const std::string what = std::string(simd_level_name(level)) + " " + std::string(dtype_name(type)) +
                                   " threads=" + std::to_string(threads) + " " + std::to_string(s.tokens) +
                                   "x" + std::to_string(s.k) + " * " + std::to_string(s.rows);
          expect_matches_reference(w, x, s.tokens, y, what);
          // The pre-packed path gives the same products (the encoder packs once at load).
          std::vector<float> y2(y.size(), NAN);
          cpu::matmul_packed(cpu, cpu::pack_weight(cpu, w.view), x.data(), s.tokens, y2.data());
          expect_matches_reference(w, x, s.tokens, y2, what + " packed");
        }
      }
    }
  }
}

TEST(MatmulFloat, PackedLayoutIsTheDocumentedOne) {
  std::mt19937 rng(3);
  const Weight w = make_weight(DType::F16, 45, 19, rng);
  CpuBackend cpu(2, SimdLevel::Scalar);
  const auto p = cpu::pack_weight(cpu, w.view);
  ASSERT_EQ(p.data.size(), static_cast<std::size_t>(64 * 19));
  for (int64_t r = 0; r < 64; ++r)
    for (int64_t k = 0; k < 19; ++k)
      EXPECT_EQ(p.data[(r / 32) * 19 * 32 + k * 32 + r % 32], r < 45 ? w.as_float[r * 19 + k] : 0.0f);
}

}  // namespace
}  // namespace pgpp::kernels
