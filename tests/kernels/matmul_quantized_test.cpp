// matmul with quantized weights, every type x every SIMD level this CPU has x 1-3 threads,
// against a double-precision product of the reference dequantization (quant::dequantize_row,
// itself checked against the gguf Python package in quant_dequantize_test.cpp).
//
// Error bound. The integer kernels round each activation block of 32 to 8 bits: x = dx * qx
// with dx = max|x_block| / 127, so each activation moves by at most dx / 2. Hence, exactly,
//   |y[t][r] - ref| <= sum_i |W[r][i]| * dx(block of i) / 2      (+ float rounding)
// and the test checks that per element, with float accumulation error allowed on top
// (1e-5 relative to sum |W x|). For random data the error is far below that worst case: the
// rms relative error ||y - ref|| / ||ref|| must stay under 1e-2 as well.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/cpu_backend.h"
#include "kernels/error.h"
#include "kernels/float16.h"
#include "kernels/gguf_file.h"
#include "kernels/matmul.h"
#include "kernels/quant/dequantize.h"
#include "tests/common/test_models.h"

namespace pgpp::kernels {
namespace {

// Byte offsets of the f16 scale fields per block (the rest of a block is any bit pattern).
struct ScaleFields {
  DType type;
  std::vector<int> scales;  // positive scales
  std::vector<int> mins;    // fields that may be negative (Q4_1/Q5_1 minimum, K-quant dmin)
};

const std::vector<ScaleFields>& quant_types() {
  static const std::vector<ScaleFields> kTypes = {
      {DType::Q4_0, {0}, {}},   {DType::Q4_1, {0}, {2}}, {DType::Q5_0, {0}, {}},
      {DType::Q5_1, {0}, {2}},  {DType::Q8_0, {0}, {}},  {DType::Q2_K, {80}, {82}},
      {DType::Q3_K, {108}, {}}, {DType::Q4_K, {0}, {2}}, {DType::Q5_K, {0}, {2}},
      {DType::Q6_K, {208}, {}},
  };
  return kTypes;
}

std::vector<uint8_t> random_weights(const ScaleFields& f, int64_t k, int64_t rows,
                                    std::mt19937& rng) {
  const auto traits = dtype_traits(f.type);
  const std::size_t bytes = row_bytes(f.type, k) * static_cast<std::size_t>(rows);
  std::vector<uint8_t> w(bytes);
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : w) b = static_cast<uint8_t>(byte(rng));
  std::uniform_real_distribution<float> scale(0.001f, 0.05f);
  for (std::size_t off = 0; off < bytes; off += static_cast<std::size_t>(traits.block_bytes)) {
    for (int s : f.scales) {
      const uint16_t h = fp32_to_fp16(scale(rng));
      std::memcpy(&w[off + s], &h, 2);
    }
    for (int s : f.mins) {
      const uint16_t h = fp32_to_fp16(scale(rng) * (byte(rng) < 128 ? -1.0f : 1.0f));
      std::memcpy(&w[off + s], &h, 2);
    }
  }
  return w;
}

std::vector<SimdLevel> levels_here() {
  std::vector<SimdLevel> levels{SimdLevel::Scalar};
  const SimdLevel best = detect_cpu_features().best_level();
  if (best >= SimdLevel::Avx2) levels.push_back(SimdLevel::Avx2);
  if (best >= SimdLevel::Avx512) levels.push_back(SimdLevel::Avx512);
  return levels;
}

TensorView view_of(DType type, const std::vector<uint8_t>& bytes, int64_t k, int64_t rows) {
  TensorView w;
  w.name = "test.weight";
  w.type = type;
  w.n_dims = 2;
  w.ne = {k, rows, 1, 1};
  w.data = reinterpret_cast<const std::byte*>(bytes.data());
  w.nbytes = bytes.size();
  return w;
}

void check_matmul(const TensorView& w, const std::vector<int64_t>& token_counts,
                  std::mt19937& rng) {
  const int64_t k = w.ne[0];
  const int64_t rows = w.rows();
  std::vector<float> wf(static_cast<std::size_t>(k * rows));
  for (int64_t r = 0; r < rows; ++r) quant::dequantize_row(w.type, w.row(r), wf.data() + r * k, k);

  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t n_tokens : token_counts) {
    std::vector<float> x(static_cast<std::size_t>(n_tokens * k));
    for (auto& v : x) v = normal(rng);
    // Reference and the worst-case bound per output.
    std::vector<double> ref(static_cast<std::size_t>(n_tokens * rows)), bound(ref.size());
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* xt = x.data() + t * k;
      std::vector<double> half_step(static_cast<std::size_t>(k));
      for (int64_t b = 0; b < k / 32; ++b) {
        double amax = 0;
        for (int i = 0; i < 32; ++i)
          amax = std::max(amax, std::fabs(static_cast<double>(xt[b * 32 + i])));
        for (int i = 0; i < 32; ++i)
          half_step[static_cast<std::size_t>(b * 32 + i)] = amax / 127.0 / 2.0;
      }
      for (int64_t r = 0; r < rows; ++r) {
        double acc = 0, err = 0, mag = 0;
        for (int64_t i = 0; i < k; ++i) {
          const double wi = wf[static_cast<std::size_t>(r * k + i)];
          acc += wi * xt[i];
          err += std::fabs(wi) * half_step[static_cast<std::size_t>(i)];
          mag += std::fabs(wi * xt[i]);
        }
        ref[static_cast<std::size_t>(t * rows + r)] = acc;
        bound[static_cast<std::size_t>(t * rows + r)] = err * (1 + 1e-4) + 1e-5 * mag + 1e-30;
      }
    }
    for (SimdLevel level : levels_here()) {
      for (int threads : {1, 2, 3}) {
        CpuBackend cpu(threads, level);
        std::vector<float> y(ref.size(), std::nanf(""));
        matmul(cpu, w, x.data(), n_tokens, y.data());
        double num = 0, den = 0;
        int bad = 0;
        for (std::size_t i = 0; i < y.size(); ++i) {
          ASSERT_TRUE(std::isfinite(y[i])) << "output " << i;
          const double e = std::fabs(y[i] - ref[i]);
          if (e > bound[i] && ++bad <= 3) {
            ADD_FAILURE() << dtype_name(w.type) << " " << simd_level_name(level) << " threads "
                          << threads << " k " << k << " rows " << rows << " tokens " << n_tokens
                          << ": y[" << i << "] = " << y[i] << ", reference " << ref[i] << ", bound "
                          << bound[i];
          }
          num += e * e;
          den += ref[i] * ref[i];
        }
        // The rms figure means something only over enough outputs (a handful can cancel).
        if (y.size() >= 64)
          EXPECT_LT(std::sqrt(num / den), 1e-2)
              << dtype_name(w.type) << " " << simd_level_name(level) << " threads " << threads
              << " tokens " << n_tokens;
      }
    }
  }
}

TEST(MatmulQuantized, EveryTypeEveryLevelMatchesDoubleReference) {
  std::mt19937 rng(1234);
  for (const auto& f : quant_types()) {
    const int block = dtype_traits(f.type).block_size;
    // K: one block, and a few blocks not a multiple of 256 where the type allows; rows not a
    // multiple of the 16-row tile.
    const std::vector<int64_t> ks =
        block == 32 ? std::vector<int64_t>{32, 608} : std::vector<int64_t>{256, 768};
    for (int64_t k : ks) {
      SCOPED_TRACE(std::string(dtype_name(f.type)) + " k=" + std::to_string(k));
      const int64_t rows = k == ks[0] ? 5 : 37;
      const auto bytes = random_weights(f, k, rows, rng);
      check_matmul(view_of(f.type, bytes, k, rows), {1, 2, 7, 33}, rng);
    }
  }
}

TEST(MatmulQuantized, RealTensorsOfTheDefaultModel) {
  const GgufFile model(test::default_decoder());
  std::mt19937 rng(7);
  // Q4_1 (1536 x 576) and Q8_0 (the tied embedding, first 600 rows of 49152).
  check_matmul(model.tensor("blk.0.ffn_up.weight"), {1, 5}, rng);
  TensorView embd = model.tensor("token_embd.weight");
  embd.ne[1] = 600;
  check_matmul(embd, {1, 5}, rng);
}

// A layer's Q, K, V in mixed types (as in a Q4_K_M file) through one shared-input call give
// exactly what three separate products give, at every level and thread count, for one token
// (the fused path) and for several (separate products underneath).
TEST(MatmulQuantized, SharedInputMatchesSeparateProducts) {
  std::mt19937 rng(42);
  const int64_t k = 512;
  const std::vector<std::pair<ScaleFields, int64_t>> parts = {
      {{DType::Q4_K, {0}, {2}}, 70}, {{DType::Q6_K, {208}, {}}, 16}, {{DType::Q4_0, {0}, {}}, 33}};
  std::vector<std::vector<uint8_t>> bytes;
  std::vector<TensorView> views;
  for (const auto& [f, rows] : parts) bytes.push_back(random_weights(f, k, rows, rng));
  for (std::size_t i = 0; i < parts.size(); ++i)
    views.push_back(view_of(parts[i].first.type, bytes[i], k, parts[i].second));
  const std::vector<const TensorView*> ws = {&views[0], &views[1], &views[2]};
  for (SimdLevel level : levels_here()) {
    for (int threads : {1, 2, 3}) {
      for (int64_t n : {1, 3}) {
        SCOPED_TRACE(std::string(simd_level_name(level)) + " threads=" + std::to_string(threads) +
                     " tokens=" + std::to_string(n));
        CpuBackend cpu(threads, level);
        std::vector<float> x(static_cast<std::size_t>(n * k));
        std::normal_distribution<float> nd;
        for (float& v : x) v = nd(rng);
        std::vector<std::vector<float>> fused(3), separate(3);
        std::vector<float*> outs;
        for (std::size_t i = 0; i < 3; ++i) {
          fused[i].assign(static_cast<std::size_t>(n * views[i].rows()), NAN);
          separate[i].assign(fused[i].size(), 0.0f);
          outs.push_back(fused[i].data());
          matmul(cpu, views[i], x.data(), n, separate[i].data());
        }
        matmul_shared_input(cpu, ws, x.data(), n, outs);
        for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(fused[i], separate[i]) << "matrix " << i;
      }
    }
  }
}

TEST(MatmulQuantized, RowsThatAreNotWholeBlocksAreRefused) {
  std::mt19937 rng(5);
  const ScaleFields f{DType::Q4_K, {0}, {2}};
  const auto bytes = random_weights(f, 512, 2, rng);
  TensorView w = view_of(DType::Q4_K, bytes, 512, 2);
  w.ne[0] = 576;  // as if a file declared a K-quant row of 576 weights
  std::vector<float> x(576), y(2);
  CpuBackend cpu(1);
  EXPECT_THROW(matmul(cpu, w, x.data(), 1, y.data()), pgpp::Error);
}

TEST(MatmulQuantized, GetRowMatchesDequantizeForEveryType) {
  std::mt19937 rng(99);
  for (const auto& f : quant_types()) {
    const int64_t k = dtype_traits(f.type).block_size * 2;
    const auto bytes = random_weights(f, k, 3, rng);
    const TensorView w = view_of(f.type, bytes, k, 3);
    std::vector<float> a(static_cast<std::size_t>(k)), b(static_cast<std::size_t>(k));
    get_row(w, 2, a.data());
    quant::dequantize_row(f.type, w.row(2), b.data(), k);
    EXPECT_EQ(a, b) << dtype_name(f.type);
    EXPECT_TRUE(matmul_supports(f.type)) << dtype_name(f.type);
  }
}

}  // namespace
}  // namespace pgpp::kernels
