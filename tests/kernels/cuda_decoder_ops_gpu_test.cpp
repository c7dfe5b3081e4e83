// The CUDA decode operations (kernels/cuda/decoder_ops.h, few_token_ops.h) against the CPU
// backend on fresh random inputs: every weight type, ragged shapes, 1..8 tokens, attention at
// short and long lengths with and without grouped-query heads. Outputs are poisoned (0xFF
// bytes, a NaN) before each run so an element a kernel forgot to write fails the NaN check.
//
// The many-token paths (matmul_gemm, kv_attention_prefill) belong to prefill_ops.h and are
// tested with it; this program calls the decode kernels directly so it links without them.
#include <gtest/gtest.h>

#include "kernels/cuda/cuda_device.h"

#if defined(PGPP_HAVE_CUDA)
#include <cuda_runtime.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/cpu/kv_attention.h"
#include "kernels/cpu/rms_norm.h"
#include "kernels/cpu/rope.h"
#include "kernels/cpu/swiglu.h"
#include "kernels/cpu_backend.h"
#include "kernels/cuda/decoder_ops.h"
#include "kernels/cuda/device_array.h"
#include "kernels/cuda/few_token_ops.h"
#include "kernels/cuda/prefill_ops.h"
#include "kernels/error.h"
#include "kernels/float16.h"
#include "kernels/matmul.h"
#include "kernels/quant/dequantize.h"
#include "kernels/quant/quantize.h"
#include "kernels/tensor_view.h"
#include "tests/common/accuracy.h"
#include "tests/kernels/random_weights.h"
#endif

namespace pgpp::kernels::cuda {
namespace {

#if !defined(PGPP_HAVE_CUDA)

TEST(CudaDecoderOps, NeedsACudaBuild) {
  GTEST_SKIP() << "built without CUDA (no nvcc at configure time)";
}

#else

using pgpp::test::count_nan;
using pgpp::test::relative_error;
using testing::kWeightTypes;
using testing::random_floats;
using testing::random_weight_rows;

void expect_close(std::span<const float> got, std::span<const float> want, double bound,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  ASSERT_EQ(count_nan(want), 0u) << what << ": the reference has NaN";
  const std::size_t nan = count_nan(got);
  EXPECT_EQ(nan, 0u) << what << ": " << nan << " of " << got.size()
                     << " outputs are NaN (unwritten?)";
  if (nan != 0) return;
  EXPECT_LT(relative_error(got, want), bound) << what;
}

class CudaDecoderOps : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto info = probe_cuda_device();
    if (!info.available) GTEST_SKIP() << "no GPU here: " << info.reason;
    ctx_ = std::make_unique<CudaContext>();
  }

  CudaContext& ctx() { return *ctx_; }

  template <class T>
  DeviceArray<T> to_device(const std::vector<T>& host, const std::string& what = "test input") {
    return DeviceArray<T>::from(ctx(), std::span<const T>(host), what);
  }

  // An output array filled with 0xFF bytes: NaN as floats, so unwritten elements show.
  template <class T>
  DeviceArray<T> poisoned(std::size_t n) {
    DeviceArray<T> a(n, "test output");
    memory::fill_bytes(ctx(), a.data(), 0xFF, a.bytes(), "poison the output");
    return a;
  }

  template <class T>
  std::vector<T> from_device(const DeviceArray<T>& a) {
    ctx().synchronize("the operation under test");
    return a.download(ctx());
  }

  CpuBackend cpu_;
  std::mt19937 rng_{20261202};
  std::unique_ptr<CudaContext> ctx_;
};

DeviceMatrix matrix_of(DType type, const DeviceArray<uint8_t>& bytes, int64_t cols, int64_t rows) {
  return DeviceMatrix{type, cols, rows, bytes.data(), row_bytes(type, cols)};
}

TensorView view_of(DType type, const std::vector<uint8_t>& bytes, int64_t cols, int64_t rows) {
  TensorView w;
  w.name = "test.weight";
  w.type = type;
  w.n_dims = 2;
  w.ne = {cols, rows, 1, 1};
  w.data = reinterpret_cast<const std::byte*>(bytes.data());
  w.nbytes = bytes.size();
  return w;
}

// y[t][r] from the reference dequantization, accumulated in double: the exact answer for the
// weights as stored, which the GPU's fp32 sums must meet closely.
std::vector<float> exact_matmul(DType type, const std::vector<uint8_t>& w, int64_t cols,
                                int64_t rows, const std::vector<float>& x, int64_t n_tokens) {
  std::vector<float> row(static_cast<std::size_t>(cols));
  std::vector<float> y(static_cast<std::size_t>(n_tokens * rows));
  const std::size_t rb = row_bytes(type, cols);
  for (int64_t r = 0; r < rows; ++r) {
    quant::dequantize_row(type, w.data() + static_cast<std::size_t>(r) * rb, row.data(), cols);
    for (int64_t t = 0; t < n_tokens; ++t) {
      double acc = 0;
      const float* xt = x.data() + t * cols;
      for (int64_t k = 0; k < cols; ++k)
        acc += static_cast<double>(row[static_cast<std::size_t>(k)]) * xt[k];
      y[static_cast<std::size_t>(t * rows + r)] = static_cast<float>(acc);
    }
  }
  return y;
}

// Shapes per block size: a model's hidden size with an odd row count, a single block with a
// handful of rows, and for plain types a length that leaves a short last chunk and unaligned
// activation rows.
struct MatrixShape {
  int64_t cols, rows;
};
std::vector<MatrixShape> shapes_for(DType t) {
  const int bs = dtype_traits(t).block_size;
  std::vector<MatrixShape> s = {{4096, 1000}, {bs == 1 ? 64 : bs, 7}};
  if (bs == 1) s.push_back({4097, 33});
  if (bs == 256) s.push_back({11008, 65});
  return s;
}

TEST_F(CudaDecoderOps, MatmulEveryTypeAndTokenCountMatchesTheCpu) {
  for (DType type : kWeightTypes) {
    for (const auto [cols, rows] : shapes_for(type)) {
      const auto w = random_weight_rows(type, rows, cols, rng_);
      const auto dw = to_device(w);
      const DeviceMatrix m = matrix_of(type, dw, cols, rows);
      const TensorView view = view_of(type, w, cols, rows);
      for (int64_t n = 1; n <= kMatvecMaxTokens; ++n) {
        if (cols != 4096 && n != 1 && n != 3 && n != 8) continue;  // small shapes: a few counts
        const std::string what = std::string(dtype_name(type)) + " " + std::to_string(rows) + "x" +
                                 std::to_string(cols) + " x " + std::to_string(n) + " tokens";
        const auto x = random_floats(static_cast<std::size_t>(n * cols), rng_);
        const auto dx = to_device(x);
        auto dy = poisoned<float>(static_cast<std::size_t>(n * rows));
        matmul_matvec(ctx(), m, dx.data(), n, dy.data());
        const auto y = from_device(dy);
        // Against the exact product: fp32 sums of thousands of terms.
        expect_close(y, exact_matmul(type, w, cols, rows, x, n), 1e-5, what + " vs exact");
        // Against the CPU backend, which quantizes activations to 8 bits for block types.
        std::vector<float> cpu_y(static_cast<std::size_t>(n * rows));
        kernels::matmul(cpu_, view, x.data(), n, cpu_y.data());
        expect_close(y, cpu_y, dtype_traits(type).quantized ? 2e-2 : 1e-4, what + " vs CPU matmul");
      }
    }
  }
}

TEST_F(CudaDecoderOps, MatmulOfQuantizedFloatsMatchesTheCpu) {
  const int64_t cols = 4096, rows = 1001;
  const auto wf = random_floats(static_cast<std::size_t>(cols * rows), rng_, 0.05f);
  std::vector<uint8_t> w(row_bytes(DType::Q8_0, cols) * rows);
  for (int64_t r = 0; r < rows; ++r) {
    quant::quantize_row_q8_0(wf.data() + r * cols, w.data() + r * row_bytes(DType::Q8_0, cols),
                             cols);
  }
  const auto dw = to_device(w);
  for (int64_t n : {1, 8}) {
    const auto x = random_floats(static_cast<std::size_t>(n * cols), rng_);
    const auto dx = to_device(x);
    auto dy = poisoned<float>(static_cast<std::size_t>(n * rows));
    matmul_matvec(ctx(), matrix_of(DType::Q8_0, dw, cols, rows), dx.data(), n, dy.data());
    expect_close(from_device(dy), exact_matmul(DType::Q8_0, w, cols, rows, x, n), 1e-5,
                 "quantized Q8_0 x " + std::to_string(n));
  }
}

TEST_F(CudaDecoderOps, UnsupportedOrMisshapenWeightsAreRefusedNamingTheOperation) {
  const DeviceArray<uint8_t> bytes(4096, "weights");
  const DeviceArray<float> x(256, "x");
  DeviceArray<float> y(256, "y");
  EXPECT_FALSE(cuda::matmul_supports(DType::Q8_1));
  EXPECT_FALSE(cuda::matmul_supports(DType::I32));
  for (DType t : kWeightTypes) EXPECT_TRUE(cuda::matmul_supports(t)) << dtype_name(t);
  const auto expect_error = [](auto&& call, const std::vector<std::string>& words) {
    try {
      call();
      ADD_FAILURE() << "no error";
    } catch (const pgpp::Error& e) {
      for (const auto& w : words)
        EXPECT_NE(std::string(e.what()).find(w), std::string::npos) << e.what();
    }
  };
  const DeviceMatrix q8_1{DType::Q8_1, 32, 4, bytes.data(), 36};
  expect_error([&] { matmul_matvec(ctx(), q8_1, x.data(), 1, y.data()); },
               {"matmul", "Q8_1", "not supported"});
  expect_error([&] { get_rows(ctx(), q8_1, nullptr, 1, y.data()); }, {"get_rows", "Q8_1"});
  const DeviceMatrix unknown{static_cast<DType>(16), 256, 4, bytes.data(), 66};  // IQ2_XXS
  expect_error([&] { matmul_matvec(ctx(), unknown, x.data(), 1, y.data()); },
               {"matmul", "type 16"});
  const DeviceMatrix short_rows{DType::Q4_0, 64, 4, bytes.data(), 18};  // 64 weights take 36 bytes
  expect_error([&] { matmul_matvec(ctx(), short_rows, x.data(), 1, y.data()); }, {"matmul", "36"});
  const DeviceMatrix partial_block{DType::Q4_K, 100, 4, bytes.data(), 144};
  expect_error([&] { matmul_matvec(ctx(), partial_block, x.data(), 1, y.data()); },
               {"matmul", "whole blocks"});
  const DeviceMatrix ok{DType::Q4_0, 64, 4, bytes.data(), 36};
  expect_error([&] { matmul_matvec(ctx(), ok, x.data(), 9, y.data()); }, {"matmul", "tokens"});
  expect_error([&] { argmax(ctx(), x.data(), 0, nullptr); }, {"argmax"});
  const AttentionShape too_wide{8, 8, 512};
  expect_error(
      [&] {
        kv_attention_decode(ctx(), too_wide, x.data(), nullptr, 16, nullptr, nullptr, 4096, 1,
                            y.data());
      },
      {"attention", "head size"});
}

TEST_F(CudaDecoderOps, GetRowsMatchesTheReferenceDequantization) {
  for (DType type : kWeightTypes) {
    const int64_t cols = dtype_traits(type).block_size == 1 ? 4097 : 4096;
    const int64_t rows = 301;
    const auto w = random_weight_rows(type, rows, cols, rng_);
    const auto dw = to_device(w);
    const std::vector<int32_t> ids = {0, 300, 17, 17, 150, 299, 1};
    const auto dids = to_device(ids);
    auto dout = poisoned<float>(ids.size() * static_cast<std::size_t>(cols));
    get_rows(ctx(), matrix_of(type, dw, cols, rows), dids.data(), static_cast<int64_t>(ids.size()),
             dout.data());
    const auto out = from_device(dout);
    std::vector<float> want(out.size());
    for (std::size_t t = 0; t < ids.size(); ++t) {
      quant::dequantize_row(type,
                            w.data() + static_cast<std::size_t>(ids[t]) * row_bytes(type, cols),
                            want.data() + t * static_cast<std::size_t>(cols), cols);
    }
    // The device may fuse a multiply-add the reference rounds twice: an ulp or so.
    expect_close(out, want, 1e-6, std::string(dtype_name(type)) + " get_rows");
  }
}

TEST_F(CudaDecoderOps, GetRowsOfAnIdOutOfRangeIsNan) {
  const int64_t cols = 64, rows = 3;
  const auto w = random_weight_rows(DType::Q8_0, rows, cols, rng_);
  const auto dw = to_device(w);
  const auto dids = to_device(std::vector<int32_t>{1, 3, -1});
  auto dout = poisoned<float>(3 * cols);
  memory::fill_bytes(ctx(), dout.data(), 0, dout.bytes(), "clear");
  get_rows(ctx(), matrix_of(DType::Q8_0, dw, cols, rows), dids.data(), 3, dout.data());
  const auto out = from_device(dout);
  EXPECT_EQ(count_nan(std::span(out).subspan(0, cols)), 0u);
  EXPECT_EQ(count_nan(std::span(out).subspan(cols, 2 * cols)), static_cast<std::size_t>(2 * cols));
}

TEST_F(CudaDecoderOps, DequantizeToF16MatchesTheReferenceRounded) {
  for (DType type : kWeightTypes) {
    const int64_t cols = dtype_traits(type).block_size == 1 ? 4097 : 4096;
    const int64_t rows = 37, row0 = 5, n_rows = 31;
    const auto w = random_weight_rows(type, rows, cols, rng_);
    const auto dw = to_device(w);
    auto dout = poisoned<uint16_t>(static_cast<std::size_t>(n_rows * cols));
    dequantize_to_f16(ctx(), matrix_of(type, dw, cols, rows), row0, n_rows, dout.data());
    const auto out = from_device(dout);
    std::vector<float> row(static_cast<std::size_t>(cols));
    int64_t far = 0;
    for (int64_t r = 0; r < n_rows; ++r) {
      quant::dequantize_row(type,
                            w.data() + static_cast<std::size_t>(row0 + r) * row_bytes(type, cols),
                            row.data(), cols);
      for (int64_t k = 0; k < cols; ++k) {
        const uint16_t want = fp32_to_fp16(row[static_cast<std::size_t>(k)]);
        const uint16_t got = out[static_cast<std::size_t>(r * cols + k)];
        // One half ulp of slack: a fused multiply-add on the device can move the float across
        // a rounding boundary of the half.
        if (got != want && std::abs(static_cast<int>(got) - static_cast<int>(want)) > 1 &&
            ++far <= 3) {
          ADD_FAILURE() << dtype_name(type) << " row " << row0 + r << " weight " << k << ": half 0x"
                        << std::hex << got << " vs 0x" << want << std::dec;
        }
      }
    }
    EXPECT_EQ(far, 0) << dtype_name(type);
  }
}

TEST_F(CudaDecoderOps, RmsNormMatchesTheCpu) {
  for (const auto& [rows, dim] :
       {std::pair<int64_t, int64_t>{1, 4096}, {7, 4097}, {3, 2048}, {2, 33}}) {
    const auto x = random_floats(static_cast<std::size_t>(rows * dim), rng_, 2.0f);
    const auto gamma = random_floats(static_cast<std::size_t>(dim), rng_);
    const auto dx = to_device(x);
    const auto dg = to_device(gamma);
    auto dy = poisoned<float>(x.size());
    rms_norm(ctx(), dx.data(), dg.data(), rows, dim, 1e-5f, dy.data());
    std::vector<float> want(x.size());
    cpu::rms_norm(cpu_, x.data(), gamma.data(), rows, dim, 1e-5f, want.data());
    expect_close(from_device(dy), want, 1e-5,
                 "rms_norm " + std::to_string(rows) + "x" + std::to_string(dim));
  }
}

TEST_F(CudaDecoderOps, AddsAndSwigluMatchTheCpu) {
  const int64_t n = 1000003;
  const auto a = random_floats(static_cast<std::size_t>(n), rng_, 3.0f);
  const auto b = random_floats(static_cast<std::size_t>(n), rng_);
  auto da = to_device(a);
  const auto db = to_device(b);

  auto dout = poisoned<float>(static_cast<std::size_t>(n));
  swiglu(ctx(), da.data(), db.data(), n, dout.data());
  std::vector<float> want(static_cast<std::size_t>(n));
  cpu::swiglu(cpu_, a.data(), b.data(), n, want.data());
  expect_close(from_device(dout), want, 1e-5, "swiglu");

  add_in_place(ctx(), da.data(), db.data(), n);
  for (int64_t i = 0; i < n; ++i)
    want[static_cast<std::size_t>(i)] =
        a[static_cast<std::size_t>(i)] + b[static_cast<std::size_t>(i)];
  expect_close(from_device(da), want, 1e-7, "add_in_place");

  const int64_t rows = 997, dim = 1003;  // n = rows * dim + 12: the bias covers rows * dim
  const auto bias = random_floats(static_cast<std::size_t>(dim), rng_);
  const auto dbias = to_device(bias);
  auto dy = to_device(a);
  add_bias(ctx(), dy.data(), dbias.data(), rows, dim);
  want = a;
  for (int64_t i = 0; i < rows * dim; ++i)
    want[static_cast<std::size_t>(i)] += bias[static_cast<std::size_t>(i % dim)];
  expect_close(from_device(dy), want, 1e-7, "add_bias");
}

TEST_F(CudaDecoderOps, RopeMatchesTheCpuAtShortAndLongPositions) {
  struct Case {
    int64_t head_dim, n_rot;
    cpu::RopeOrder order;
    double base;
  };
  for (const Case c :
       {Case{128, 128, cpu::RopeOrder::Normal, 500000.0}, Case{128, 128, cpu::RopeOrder::NeoX, 1e6},
        Case{64, 64, cpu::RopeOrder::Normal, 10000.0}, Case{128, 64, cpu::RopeOrder::NeoX, 10000.0},
        Case{96, 32, cpu::RopeOrder::Normal, 10000.0}}) {
    const cpu::Rope rope_cpu(c.head_dim, c.n_rot, c.base, c.order);
    std::vector<double> theta(static_cast<std::size_t>(c.n_rot / 2));
    for (std::size_t i = 0; i < theta.size(); ++i)
      theta[i] = rope_cpu.theta(static_cast<int64_t>(i));
    const auto dtheta = to_device(theta);
    const int64_t n_heads = 8;
    for (const std::vector<int32_t>& positions :
         {std::vector<int32_t>{0}, std::vector<int32_t>{4999}, std::vector<int32_t>{131071},
          std::vector<int32_t>{3, 4, 5, 100000, 77777}}) {
      const auto n_tokens = static_cast<int64_t>(positions.size());
      auto x = random_floats(static_cast<std::size_t>(n_tokens * n_heads * c.head_dim), rng_);
      auto dx = to_device(x);
      const auto dpos = to_device(positions);
      rope(ctx(), dx.data(), n_tokens, n_heads, c.head_dim, c.n_rot,
           c.order == cpu::RopeOrder::NeoX, dtheta.data(), dpos.data());
      rope_cpu.apply(cpu_, x.data(), n_tokens, n_heads, positions.data());
      expect_close(from_device(dx), x, 1e-5,
                   "rope head " + std::to_string(c.head_dim) + " rot " + std::to_string(c.n_rot) +
                       " at position " + std::to_string(positions.back()));
    }
  }
}

TEST_F(CudaDecoderOps, StoreKvWritesRoundedHalvesAtTheGivenRows) {
  const int64_t kv_dim = 1024 + 8, capacity = 50;
  const std::vector<int32_t> positions = {7, 3, 49, 0, 20};
  const auto n = static_cast<int64_t>(positions.size());
  const auto k = random_floats(static_cast<std::size_t>(n * kv_dim), rng_, 4.0f);
  const auto v = random_floats(static_cast<std::size_t>(n * kv_dim), rng_, 4.0f);
  const auto dk = to_device(k);
  const auto dv = to_device(v);
  const auto dpos = to_device(positions);
  auto kc = poisoned<uint16_t>(static_cast<std::size_t>(capacity * kv_dim));
  auto vc = poisoned<uint16_t>(static_cast<std::size_t>(capacity * kv_dim));
  store_kv(ctx(), dk.data(), dv.data(), n, kv_dim, dpos.data(), kc.data(), vc.data());
  const auto hk = from_device(kc);
  const auto hv = from_device(vc);
  int64_t wrong = 0;
  std::vector<bool> written(static_cast<std::size_t>(capacity), false);
  for (int64_t t = 0; t < n; ++t) {
    written[static_cast<std::size_t>(positions[static_cast<std::size_t>(t)])] = true;
    for (int64_t i = 0; i < kv_dim; ++i) {
      const auto src = static_cast<std::size_t>(t * kv_dim + i);
      const auto dst =
          static_cast<std::size_t>(positions[static_cast<std::size_t>(t)] * kv_dim + i);
      wrong += hk[dst] != fp32_to_fp16(k[src]);
      wrong += hv[dst] != fp32_to_fp16(v[src]);
    }
  }
  EXPECT_EQ(wrong, 0) << "halves differ from round-to-nearest-even";
  // Rows no token named are untouched.
  for (int64_t r = 0; r < capacity; ++r) {
    if (written[static_cast<std::size_t>(r)]) continue;
    EXPECT_EQ(hk[static_cast<std::size_t>(r * kv_dim)], 0xFFFF) << "row " << r;
    EXPECT_EQ(hv[static_cast<std::size_t>(r * kv_dim + kv_dim - 1)], 0xFFFF) << "row " << r;
  }
}

struct AttentionCase {
  int64_t n_heads, n_kv_heads, head_dim, length;
};

class CudaAttentionDecode : public CudaDecoderOps,
                            public ::testing::WithParamInterface<AttentionCase> {};

TEST_P(CudaAttentionDecode, MatchesTheCpuAtThisLength) {
  const auto [nh, nkv, hd, length] = GetParam();
  const int64_t max_positions = 8192;
  // Rows wider than the heads (as a cache with padding would be): offsets are honoured.
  const int64_t row_stride = nkv * hd + 16;
  std::vector<uint16_t> k(static_cast<std::size_t>(max_positions * row_stride));
  std::vector<uint16_t> v(k.size());
  // Keys large enough that the softmax is far from uniform, so a wrong score shows.
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (auto& h : k) h = fp32_to_fp16(dist(rng_));
  for (auto& h : v) h = fp32_to_fp16(dist(rng_));
  const auto q = random_floats(static_cast<std::size_t>(nh * hd), rng_, 1.5f);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const auto dk = to_device(k);
  const auto dv = to_device(v);
  const auto dq = to_device(q);
  const auto dpos = to_device(std::vector<int32_t>{static_cast<int32_t>(length - 1)});
  auto dout = poisoned<float>(static_cast<std::size_t>(nh * hd));
  kv_attention_decode(ctx(), AttentionShape{nh, nkv, hd}, dq.data(), dpos.data(), max_positions,
                      dk.data(), dv.data(), row_stride, scale, dout.data());
  std::vector<float> want(static_cast<std::size_t>(nh * hd));
  cpu::kv_attention(cpu_, cpu::AttentionShape{nh, nkv, hd}, q.data(), 1, length - 1, k.data(),
                    v.data(), row_stride, scale, want.data());
  expect_close(from_device(dout), want, 1e-4,
               "attention " + std::to_string(nh) + ":" + std::to_string(nkv) + " heads of " +
                   std::to_string(hd) + " at length " + std::to_string(length));
}

INSTANTIATE_TEST_SUITE_P(
    LengthsAndGroups, CudaAttentionDecode,
    ::testing::Values(
        AttentionCase{32, 8, 128, 1}, AttentionCase{32, 8, 128, 17}, AttentionCase{32, 8, 128, 300},
        AttentionCase{32, 8, 128, 5000}, AttentionCase{8, 8, 128, 1}, AttentionCase{8, 8, 128, 17},
        AttentionCase{8, 8, 128, 300}, AttentionCase{8, 8, 128, 5000}, AttentionCase{32, 8, 64, 1},
        AttentionCase{32, 8, 64, 300}, AttentionCase{32, 8, 64, 5000}, AttentionCase{8, 8, 64, 17},
        AttentionCase{8, 8, 64, 5000}, AttentionCase{14, 2, 64, 257}, AttentionCase{4, 4, 80, 513},
        // Groups above the V pass's 8 heads: two full passes (16), and a full
        // pass then a partial one (10).
        AttentionCase{32, 2, 64, 300}, AttentionCase{20, 2, 128, 700},
        // 32 query heads on one kv head: more than the default 48 KiB of shared memory.
        AttentionCase{32, 1, 128, 300}));

// A decode step captured in a CUDA graph once and replayed at later positions: the kernels
// must read the length from the device, not from the capture.
TEST_F(CudaDecoderOps, AttentionReplayedFromAGraphFollowsThePosition) {
  const int64_t nh = 16, nkv = 4, hd = 128, max_positions = 4096, row_stride = nkv * hd;
  std::vector<uint16_t> k(static_cast<std::size_t>(max_positions * row_stride));
  std::vector<uint16_t> v(k.size());
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (auto& h : k) h = fp32_to_fp16(dist(rng_));
  for (auto& h : v) h = fp32_to_fp16(dist(rng_));
  const auto q = random_floats(static_cast<std::size_t>(nh * hd), rng_);
  const float scale = 0.088f;
  const auto dk = to_device(k);
  const auto dv = to_device(v);
  const auto dq = to_device(q);
  auto dpos = to_device(std::vector<int32_t>{10});
  auto dout = poisoned<float>(static_cast<std::size_t>(nh * hd));
  const AttentionShape shape{nh, nkv, hd};
  // Once outside the capture so the scratch exists (growing it inside would synchronize).
  kv_attention_decode(ctx(), shape, dq.data(), dpos.data(), max_positions, dk.data(), dv.data(),
                      row_stride, scale, dout.data());
  ctx().synchronize("warm-up");
  auto stream = static_cast<cudaStream_t>(ctx().stream());
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  ASSERT_EQ(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), cudaSuccess);
  kv_attention_decode(ctx(), shape, dq.data(), dpos.data(), max_positions, dk.data(), dv.data(),
                      row_stride, scale, dout.data());
  ASSERT_EQ(cudaStreamEndCapture(stream, &graph), cudaSuccess);
  ASSERT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaSuccess);
  for (int32_t pos : {10, 11, 700, 4095}) {
    dpos.upload(ctx(), std::span<const int32_t>(&pos, 1));
    memory::fill_bytes(ctx(), dout.data(), 0xFF, dout.bytes(), "poison");
    ASSERT_EQ(cudaGraphLaunch(exec, stream), cudaSuccess);
    std::vector<float> want(static_cast<std::size_t>(nh * hd));
    cpu::kv_attention(cpu_, cpu::AttentionShape{nh, nkv, hd}, q.data(), 1, pos, k.data(), v.data(),
                      row_stride, scale, want.data());
    expect_close(from_device(dout), want, 1e-4, "graph replay at position " + std::to_string(pos));
  }
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
}

TEST_F(CudaDecoderOps, ArgmaxFindsTheFirstLargest) {
  auto run = [&](const std::vector<float>& x) {
    const auto dx = to_device(x);
    auto dout = poisoned<int32_t>(1);
    argmax(ctx(), dx.data(), static_cast<int64_t>(x.size()), dout.data());
    return from_device(dout)[0];
  };
  for (std::size_t n :
       {std::size_t{1}, std::size_t{4097}, std::size_t{128256}, std::size_t{1000}}) {
    auto x = random_floats(n, rng_, 5.0f);
    const auto want = static_cast<int32_t>(std::max_element(x.begin(), x.end()) - x.begin());
    EXPECT_EQ(run(x), want) << n << " values";
    if (n < 1000) continue;
    // Ties: the lowest index wins, wherever the two copies fall among threads and warps.
    const std::size_t late = n - 3, early = n / 3;
    x[late] = x[early] = 1e6f;
    EXPECT_EQ(run(x), static_cast<int32_t>(early)) << n << " values, tie";
    // NaN is skipped, before or after the maximum (and at index 0).
    x[0] = std::nanf("");
    x[n - 1] = std::nanf("");
    x[early + 1] = std::nanf("");
    EXPECT_EQ(run(x), static_cast<int32_t>(early)) << n << " values with NaN";
  }
  EXPECT_EQ(run(std::vector<float>(300, -INFINITY)), 0);
  EXPECT_EQ(run(std::vector<float>(300, std::nanf(""))), 0) << "all NaN answers 0";
  std::vector<float> last(5000, -1.0f);
  last.back() = 0.0f;
  EXPECT_EQ(run(last), 4999);
}

// The penalties must round exactly as llm::Sampler::apply_penalties does on the host (the
// formula below is that function's), or greedy decoding could pick another token on the GPU.
TEST_F(CudaDecoderOps, PenaltiesRoundExactlyAsTheHost) {
  const int64_t vocab = 49152;
  auto logits = random_floats(static_cast<std::size_t>(vocab), rng_, 8.0f);
  std::vector<int32_t> ids, counts;
  std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(vocab) - 1), count(1, 9);
  std::vector<bool> taken(static_cast<std::size_t>(vocab));
  while (ids.size() < 64) {
    const int32_t i = id(rng_);
    if (taken[static_cast<std::size_t>(i)]) continue;
    taken[static_cast<std::size_t>(i)] = true;
    ids.push_back(i);
    counts.push_back(count(rng_));
  }
  ids.push_back(-1);  // out of range: skipped, as on the host
  counts.push_back(3);
  ids.push_back(static_cast<int32_t>(vocab));
  counts.push_back(3);
  for (const auto& [repeat, presence, frequency] :
       {std::tuple{1.1f, 0.0f, 0.0f}, std::tuple{1.0f, 0.4f, 0.1f},
        std::tuple{1.3f, 0.25f, 0.07f}}) {
    std::vector<float> want = logits;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] < 0 || ids[i] >= vocab) continue;
      float& l = want[static_cast<std::size_t>(ids[i])];
      if (repeat != 1.0f) l = l > 0 ? l / repeat : l * repeat;
      l -= presence + frequency * static_cast<float>(counts[i]);
    }
    auto d = to_device(logits);
    const auto dids = to_device(ids);
    const auto dcounts = to_device(counts);
    apply_penalties(ctx(), d.data(), vocab, dids.data(), dcounts.data(),
                    static_cast<int64_t>(ids.size()), repeat, presence, frequency);
    const auto got = from_device(d);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < got.size(); ++i)
      differ += std::bit_cast<uint32_t>(got[i]) != std::bit_cast<uint32_t>(want[i]);
    EXPECT_EQ(differ, 0u) << "repeat " << repeat << ", presence " << presence << ", frequency "
                          << frequency;
  }
}

#endif  // PGPP_HAVE_CUDA

}  // namespace
}  // namespace pgpp::kernels::cuda
