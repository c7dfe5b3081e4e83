// The GPU encoder's kernels (kernels/cuda/encoder_ops.h) one by one against the CPU backend's
// (matmul, gelu, layer_norm, attention) on fresh random inputs with ragged sizes, so a wrong
// encoder vector on the GPU can be traced to its kernel. Inputs are FP16 on both sides (the CPU
// reads the same halves as floats); bounds: FP32-only kernels 1e-5 .. 1e-4, FP16 outputs 2e-3
// (half rounding), GEMMs into FP16 1e-2. Outputs are poisoned (NaN) first.
#include <gtest/gtest.h>

#include "kernels/cuda/cuda_device.h"

// A CPU-only build has no GPU code to test: one test that says so and skips.
#if !PGPP_HAVE_CUDA
TEST(CudaEncoderOps, NeedsACudaBuild) {
  GTEST_SKIP() << pgpp::kernels::cuda::probe_cuda_device().reason;
}
#else

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "kernels/cpu/attention.h"
#include "kernels/cpu/gelu.h"
#include "kernels/cpu/layer_norm.h"
#include "kernels/cpu_backend.h"
#include "kernels/cuda/device_array.h"
#include "kernels/cuda/encoder_ops.h"
#include "kernels/float16.h"
#include "kernels/matmul.h"
#include "tests/common/accuracy.h"

namespace pgpp::kernels::cuda {
namespace {

using pgpp::test::count_nan;
using pgpp::test::relative_error;

std::vector<float> as_floats(const std::vector<uint16_t>& h) {
  std::vector<float> f(h.size());
  for (std::size_t i = 0; i < h.size(); ++i) f[i] = fp16_to_fp32(h[i]);
  return f;
}

bool has_nan(const std::vector<float>& v) {
  for (float f : v)
    if (std::isnan(f)) return true;
  return false;
}

class CudaEncoderOps : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto info = probe_cuda_device();
    if (!info.available) GTEST_SKIP() << "no GPU here: " << info.reason;
    ctx_ = std::make_unique<CudaContext>();
  }
  std::vector<float> floats(std::size_t n, float mean = 0.0f, float sd = 1.0f) {
    std::normal_distribution<float> d(mean, sd);
    std::vector<float> v(n);
    for (auto& f : v) f = d(rng_);
    return v;
  }
  std::vector<uint16_t> halves(std::size_t n, float sd = 1.0f) {
    std::vector<uint16_t> h(n);
    std::normal_distribution<float> d(0.0f, sd);
    for (auto& x : h) x = fp32_to_fp16(d(rng_));
    return h;
  }
  template <class T>
  DeviceArray<T> poisoned(std::size_t n) {
    DeviceArray<T> a(n, "output");
    memory::fill_bytes(*ctx_, a.data(), 0xFF, a.bytes(), "poison the output");
    return a;
  }

  std::unique_ptr<CudaContext> ctx_;
  CpuBackend cpu_{0};
  std::mt19937 rng_{384};
};

TEST_F(CudaEncoderOps, LinearWithBiasAndGeluMatchesCpu) {
  for (const auto [n, rows, cols] :
       {std::tuple{9, 1536, 384}, {300, 384, 1536}, {77, 1152, 384}, {1, 65, 96}}) {
    SCOPED_TRACE(std::to_string(n) + " tokens, " + std::to_string(rows) + "x" +
                 std::to_string(cols));
    const auto w = halves(static_cast<std::size_t>(rows * cols), 0.05f);
    const auto x = halves(static_cast<std::size_t>(n * cols));
    const auto bias = floats(static_cast<std::size_t>(rows));
    TensorView wv;
    wv.type = DType::F16;
    wv.n_dims = 2;
    wv.ne = {cols, rows, 1, 1};
    wv.data = reinterpret_cast<const std::byte*>(w.data());
    wv.nbytes = w.size() * 2;
    const std::vector<float> xf = as_floats(x);
    std::vector<float> ref(static_cast<std::size_t>(n * rows));
    matmul(cpu_, wv, xf.data(), n, ref.data());
    for (std::size_t i = 0; i < ref.size(); ++i) ref[i] += bias[i % rows];
    std::vector<float> ref_gelu = ref;
    cpu::gelu(cpu_, ref_gelu.data(), static_cast<int64_t>(ref_gelu.size()));

    auto w_dev = DeviceArray<uint16_t>::from(*ctx_, w, "weights");
    auto x_dev = DeviceArray<uint16_t>::from(*ctx_, x, "input");
    auto b_dev = DeviceArray<float>::from(*ctx_, bias, "bias");
    auto y16 = poisoned<uint16_t>(ref.size());
    linear_f16(*ctx_, w_dev.data(), b_dev.data(), rows, cols, x_dev.data(), n, Activation::Gelu,
               y16.data());
    const auto got_gelu = as_floats(y16.download(*ctx_));
    EXPECT_FALSE(has_nan(got_gelu));
    EXPECT_LT(relative_error(got_gelu, ref_gelu), 1e-2);
    auto y32 = poisoned<float>(ref.size());
    linear_f32(*ctx_, w_dev.data(), b_dev.data(), rows, cols, x_dev.data(), n, y32.data());
    const auto got = y32.download(*ctx_);
    EXPECT_FALSE(has_nan(got));
    EXPECT_LT(relative_error(got, ref), 1e-3);  // FP16 operands exactly as the CPU's; FP32 sums
  }
}

TEST_F(CudaEncoderOps, ResidualLayerNormAndEmbeddingsMatchCpu) {
  const float eps = 1e-12f;
  for (const auto [rows, dim] : {std::pair{1, 384}, {333, 384}, {70, 1024}, {5, 100}}) {
    SCOPED_TRACE(std::to_string(rows) + " rows of " + std::to_string(dim));
    const auto n = static_cast<std::size_t>(rows * dim);
    const auto y = floats(n, 0.5f, 2.0f), x = floats(n, -1.0f, 3.0f);
    const auto gamma = floats(static_cast<std::size_t>(dim), 1.0f, 0.2f);
    const auto beta = floats(static_cast<std::size_t>(dim), 0.0f, 0.2f);
    std::vector<float> ref = y;
    cpu::layer_norm(cpu_, ref.data(), x.data(), rows, dim, gamma.data(), beta.data(), eps);

    auto y_dev = DeviceArray<float>::from(*ctx_, y, "y");
    auto x_dev = DeviceArray<float>::from(*ctx_, x, "x");
    auto g_dev = DeviceArray<float>::from(*ctx_, gamma, "gamma");
    auto b_dev = DeviceArray<float>::from(*ctx_, beta, "beta");
    auto half_dev = poisoned<uint16_t>(n);
    add_layer_norm(*ctx_, y_dev.data(), x_dev.data(), half_dev.data(), rows, dim, g_dev.data(),
                   b_dev.data(), eps);
    const auto got = x_dev.download(*ctx_);
    EXPECT_FALSE(has_nan(got));
    EXPECT_LT(relative_error(got, ref), 1e-5);
    EXPECT_LT(relative_error(as_floats(half_dev.download(*ctx_)), ref), 2e-3);

    // Embeddings: word (FP16) + position + token type 0, then the same LayerNorm.
    const int64_t vocab = 50, positions = 40;
    const auto word = halves(static_cast<std::size_t>(vocab * dim));
    const auto position = floats(static_cast<std::size_t>(positions * dim));
    const auto type0 = floats(static_cast<std::size_t>(dim));
    std::vector<int32_t> ids(static_cast<std::size_t>(rows)), pos(ids.size());
    std::vector<float> emb_ref(n);
    for (int64_t t = 0; t < rows; ++t) {
      ids[t] = static_cast<int32_t>(rng_() % vocab);
      pos[t] = static_cast<int32_t>(rng_() % positions);
      for (int64_t c = 0; c < dim; ++c)
        emb_ref[t * dim + c] =
            fp16_to_fp32(word[ids[t] * dim + c]) + position[pos[t] * dim + c] + type0[c];
    }
    cpu::layer_norm(cpu_, emb_ref.data(), nullptr, rows, dim, gamma.data(), beta.data(), eps);
    auto ids_dev = DeviceArray<int32_t>::from(*ctx_, ids, "ids");
    auto pos_dev = DeviceArray<int32_t>::from(*ctx_, pos, "positions");
    auto word_dev = DeviceArray<uint16_t>::from(*ctx_, word, "word");
    auto position_dev = DeviceArray<float>::from(*ctx_, position, "position");
    auto type_dev = DeviceArray<float>::from(*ctx_, type0, "type");
    auto out = poisoned<float>(n);
    embed_layer_norm(*ctx_, ids_dev.data(), pos_dev.data(), rows, word_dev.data(),
                     position_dev.data(), type_dev.data(), dim, g_dev.data(), b_dev.data(), eps,
                     out.data(), half_dev.data());
    const auto emb = out.download(*ctx_);
    EXPECT_FALSE(has_nan(emb));
    EXPECT_LT(relative_error(emb, emb_ref), 1e-5);
  }
}

TEST_F(CudaEncoderOps, PackedAttentionMatchesCpuOverRaggedSequences) {
  for (const int64_t head_dim : {32, 64, 96, 128}) {
    SCOPED_TRACE("head_dim " + std::to_string(head_dim));
    const int64_t heads = head_dim == 32 ? 12 : 4, h = heads * head_dim;
    const std::vector<int64_t> begin{0, 256, 257, 290, 390, 407, 663};  // 256, 1, 33, 100, 17, 256
    const int64_t n = begin.back(), n_seqs = static_cast<int64_t>(begin.size()) - 1;
    const auto qkv = halves(static_cast<std::size_t>(n * 3 * h));
    const auto qkv_f = as_floats(qkv);
    const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    std::vector<float> ref(static_cast<std::size_t>(n * h));
    cpu::attention(cpu_, qkv_f.data(), qkv_f.data() + h, qkv_f.data() + 2 * h, 3 * h, begin.data(),
                   n_seqs, heads, head_dim, scale, ref.data(), h);

    std::vector<int32_t> begin32(begin.begin(), begin.end());
    auto qkv_dev = DeviceArray<uint16_t>::from(*ctx_, qkv, "qkv");
    auto begin_dev = DeviceArray<int32_t>::from(*ctx_, begin32, "sequence starts");
    auto out = poisoned<uint16_t>(ref.size());
    const uint16_t* q = qkv_dev.data();
    packed_attention(*ctx_, q, q + h, q + 2 * h, 3 * h, begin_dev.data(), n_seqs, 256, heads,
                     head_dim, scale, out.data(), h);
    const auto got = as_floats(out.download(*ctx_));
    EXPECT_FALSE(has_nan(got));
    EXPECT_LT(relative_error(got, ref), 2e-3);
  }
}

TEST_F(CudaEncoderOps, MeanAndClsPoolingWithNormalisation) {
  const int64_t dim = 384;
  const std::vector<int32_t> begin{0, 1, 20, 276};
  const auto x = floats(static_cast<std::size_t>(begin.back() * dim));
  auto x_dev = DeviceArray<float>::from(*ctx_, x, "hidden");
  auto b_dev = DeviceArray<int32_t>::from(*ctx_, begin, "sequence starts");
  for (const bool mean : {true, false}) {
    for (const bool normalize : {true, false}) {
      SCOPED_TRACE(std::string(mean ? "mean" : "cls") + (normalize ? " normalised" : ""));
      std::vector<float> ref(3 * dim);
      for (int s = 0; s < 3; ++s) {
        double sq = 0;
        for (int64_t c = 0; c < dim; ++c) {
          double v = 0;
          if (mean) {
            for (int t = begin[s]; t < begin[s + 1]; ++t) v += x[t * dim + c];
            v /= begin[s + 1] - begin[s];
          } else {
            v = x[begin[s] * dim + c];
          }
          ref[s * dim + c] = static_cast<float>(v);
          sq += v * v;
        }
        if (normalize)
          for (int64_t c = 0; c < dim; ++c)
            ref[s * dim + c] = static_cast<float>(ref[s * dim + c] / std::sqrt(sq));
      }
      auto out = poisoned<float>(ref.size());
      pool_sequences(*ctx_, x_dev.data(), b_dev.data(), 3, dim, mean ? Pooling::Mean : Pooling::Cls,
                     normalize, out.data());
      const auto got = out.download(*ctx_);
      EXPECT_FALSE(has_nan(got));
      EXPECT_LT(relative_error(got, ref), 1e-5);
    }
  }
}

}  // namespace
}  // namespace pgpp::kernels::cuda

#endif  // PGPP_HAVE_CUDA
