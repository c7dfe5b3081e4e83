// The GPU's prompt-processing halves of matmul and kv_attention (kernels/cuda/prefill_ops.h)
// against the CPU backend on fresh random inputs, ragged sizes included.
//
// matmul_gemm multiplies FP16 operands (W expanded to halves, x rounded to halves) with FP32
// accumulation, so its error is that of rounding x and, for F32-exact weight types, W: a
// relative error ||y - ref|| / ||ref|| of a few 1e-4 for random data; the bound is 1e-2. The
// reference is kernels::matmul over the weights dequantized to floats by the scalar reference
// (quant::dequantize_row), so the CPU's own 8-bit activation rounding does not count against
// the GPU. Attention is FP32 arithmetic on the same FP16 cache: bound 5e-4.
// Outputs are poisoned (all bits set = NaN) first, so an element the GPU never writes fails.
#include <gtest/gtest.h>

#include "kernels/cuda/cuda_device.h"

// A CPU-only build has no GPU code to test: one test that says so and skips.
#if !PGPP_HAVE_CUDA
TEST(CudaPrefillOps, NeedsACudaBuild) {
  GTEST_SKIP() << pgpp::kernels::cuda::probe_cuda_device().reason;
}
#else

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/kv_attention.h"
#include "kernels/cpu_backend.h"
#include "kernels/cuda/cuda_device.h"
#include "kernels/cuda/device_array.h"
#include "kernels/cuda/prefill_ops.h"
#include "kernels/error.h"
#include "kernels/float16.h"
#include "kernels/matmul.h"
#include "kernels/quant/dequantize.h"
#include "tests/common/accuracy.h"
#include "tests/kernels/random_weights.h"

namespace pgpp::kernels::cuda {
namespace {

using pgpp::test::count_nan;
using pgpp::test::relative_error;

std::vector<float> random_floats(std::size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& f : v) f = d(rng);
  return v;
}

class CudaPrefillOps : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto info = probe_cuda_device();
    if (!info.available) GTEST_SKIP() << "no GPU here: " << info.reason;
    ctx_ = std::make_unique<CudaContext>();
  }

  std::unique_ptr<CudaContext> ctx_;
  CpuBackend cpu_{0};
  std::mt19937 rng_{20261202};
};

struct GemmCase {
  DType type;
  int64_t n_tokens, cols, rows;
};

TEST_F(CudaPrefillOps, MatmulGemmMatchesCpuForEveryTypeAndRaggedSize) {
  // K-quant rows hold whole 256-weight super-blocks, so 896 columns (Qwen2-0.5B's) is tested
  // with the 32-weight types and 768 with the K-quants. 8999 rows of 4096 pass the 64 MiB tile
  // bound, so that case is multiplied in two tiles.
  std::vector<GemmCase> cases;
  for (DType type : {DType::F16, DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K}) {
    const bool k_quant = type == DType::Q4_K || type == DType::Q6_K;
    const int64_t narrow = k_quant ? 768 : 896;
    cases.push_back({type, 9, narrow, 257});
    cases.push_back({type, 100, 4096, 1001});
    cases.push_back({type, 513, narrow, 333});
    cases.push_back({type, 9, 4096, 8999});
  }
  for (const GemmCase& c : cases) {
    const std::string name = std::string(dtype_name(c.type)) +
                             " tokens=" + std::to_string(c.n_tokens) +
                             " cols=" + std::to_string(c.cols) + " rows=" + std::to_string(c.rows);
    SCOPED_TRACE(name);
    const std::vector<uint8_t> w = testing::random_weight_rows(c.type, c.rows, c.cols, rng_);
    const std::vector<float> x = random_floats(static_cast<std::size_t>(c.n_tokens * c.cols), rng_);

    std::vector<float> w_floats(static_cast<std::size_t>(c.rows * c.cols));
    const std::size_t row = row_bytes(c.type, c.cols);
    for (int64_t r = 0; r < c.rows; ++r)
      quant::dequantize_row(c.type, w.data() + r * row, w_floats.data() + r * c.cols, c.cols);
    TensorView ref_w;
    ref_w.type = DType::F32;
    ref_w.n_dims = 2;
    ref_w.ne = {c.cols, c.rows, 1, 1};
    ref_w.data = reinterpret_cast<const std::byte*>(w_floats.data());
    ref_w.nbytes = w_floats.size() * sizeof(float);
    std::vector<float> ref(static_cast<std::size_t>(c.n_tokens * c.rows));
    matmul(cpu_, ref_w, x.data(), c.n_tokens, ref.data());

    auto w_dev = DeviceArray<uint8_t>::from(*ctx_, w, "weights");
    auto x_dev = DeviceArray<float>::from(*ctx_, x, "activations");
    DeviceArray<float> y_dev(ref.size(), "output");
    memory::fill_bytes(*ctx_, y_dev.data(), 0xFF, y_dev.bytes(), "poison the output");
    const DeviceMatrix dm{c.type, c.cols, c.rows, w_dev.data(), row};
    matmul_gemm(*ctx_, dm, x_dev.data(), c.n_tokens, y_dev.data());
    const std::vector<float> y = y_dev.download(*ctx_);

    EXPECT_EQ(count_nan(y), 0u);
    EXPECT_LT(relative_error(y, ref), 1e-2);
  }
}

struct AttentionCase {
  int64_t n_heads, n_kv_heads, head_dim, n_tokens, first_pos;
};

TEST_F(CudaPrefillOps, PromptAttentionMatchesCpuWithGroupedHeadsAndACachedPrefix) {
  const std::vector<AttentionCase> cases = {
      {32, 8, 128, 9, 0}, {32, 8, 128, 100, 37}, {14, 2, 64, 513, 0},
      {8, 8, 96, 33, 5},  {4, 1, 256, 70, 200},  {12, 4, 32, 17, 1},
  };
  for (const AttentionCase& c : cases) {
    SCOPED_TRACE("heads=" + std::to_string(c.n_heads) + "/" + std::to_string(c.n_kv_heads) +
                 " head_dim=" + std::to_string(c.head_dim) + " tokens=" +
                 std::to_string(c.n_tokens) + " first_pos=" + std::to_string(c.first_pos));
    const int64_t kv_dim = c.n_kv_heads * c.head_dim;
    const int64_t row_stride = kv_dim + 64;  // a padded cache row, as a layer-interleaved cache has
    const int64_t cache_rows = c.first_pos + c.n_tokens + 7;  // capacity beyond the last position
    std::vector<uint16_t> k(static_cast<std::size_t>(cache_rows * row_stride));
    std::vector<uint16_t> v(k.size());
    std::normal_distribution<float> d(0.0f, 1.0f);
    for (auto& h : k) h = fp32_to_fp16(d(rng_));
    for (auto& h : v) h = fp32_to_fp16(d(rng_));
    const std::vector<float> q =
        random_floats(static_cast<std::size_t>(c.n_tokens * c.n_heads * c.head_dim), rng_);
    const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));

    std::vector<float> ref(q.size());
    cpu::kv_attention(cpu_, {c.n_heads, c.n_kv_heads, c.head_dim}, q.data(), c.n_tokens,
                      c.first_pos, k.data(), v.data(), row_stride, scale, ref.data());

    std::vector<int32_t> positions(static_cast<std::size_t>(c.n_tokens));
    for (int64_t t = 0; t < c.n_tokens; ++t) positions[t] = static_cast<int32_t>(c.first_pos + t);
    auto q_dev = DeviceArray<float>::from(*ctx_, q, "queries");
    auto k_dev = DeviceArray<uint16_t>::from(*ctx_, k, "keys");
    auto v_dev = DeviceArray<uint16_t>::from(*ctx_, v, "values");
    auto pos_dev = DeviceArray<int32_t>::from(*ctx_, positions, "positions");
    DeviceArray<float> out_dev(q.size(), "output");
    memory::fill_bytes(*ctx_, out_dev.data(), 0xFF, out_dev.bytes(), "poison the output");
    kv_attention_prefill(*ctx_, {c.n_heads, c.n_kv_heads, c.head_dim}, q_dev.data(), c.n_tokens,
                         pos_dev.data(), cache_rows, k_dev.data(), v_dev.data(), row_stride, scale,
                         out_dev.data());
    const std::vector<float> out = out_dev.download(*ctx_);

    EXPECT_EQ(count_nan(out), 0u);
    EXPECT_LT(relative_error(out, ref), 5e-4);
  }
}

TEST_F(CudaPrefillOps, PromptAttentionRefusesAHeadSizeItHasNoKernelFor) {
  DeviceArray<float> q(80 * 4, "queries");
  DeviceArray<uint16_t> kv(80 * 4, "cache");
  DeviceArray<int32_t> pos(4, "positions");
  DeviceArray<float> out(80 * 4, "output");
  try {
    kv_attention_prefill(*ctx_, {1, 1, 80}, q.data(), 4, pos.data(), 4, kv.data(), kv.data(), 80,
                         1.0f, out.data());
    FAIL() << "head_dim 80 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("head_dim 80"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pgpp::kernels::cuda

#endif  // PGPP_HAVE_CUDA
