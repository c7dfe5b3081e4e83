// Dequantization and Q8_0 quantization against the reference `gguf` Python package: random
// blocks of every format and the first rows of real tensors of the default model
// (goldens made by tests/reference/make_quant_goldens.py, in tests/data/quant).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/common/test_models.h"
#include "kernels/error.h"
#include "kernels/gguf_file.h"
#include "kernels/matmul.h"
#include "kernels/quant/dequantize.h"
#include "kernels/quant/quantize.h"

namespace pgpp::kernels {
namespace {

std::filesystem::path golden(const std::string& name) {
  return std::filesystem::path(PGPP_TEST_DATA_DIR) / "quant" / name;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in) << "missing golden " << p;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<float> read_floats(const std::filesystem::path& p) {
  const auto bytes = read_bytes(p);
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

// Both sides compute d * scale * q (+ min) in float32 but may associate the products
// differently, so allow a couple of float ulps of the largest term rather than bit equality.
void expect_close(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  float scale = 0;
  for (float w : want) scale = std::max(scale, std::fabs(w));
  int bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(std::isfinite(got[i])) << what << " [" << i << "]";
    if (std::fabs(got[i] - want[i]) > 4e-7f * scale + 1e-7f * std::fabs(want[i]) && ++bad <= 5) {
      ADD_FAILURE() << what << " [" << i << "]: " << got[i] << " vs gguf " << want[i];
    }
  }
}

TEST(QuantDequantize, EveryFormatMatchesTheGgufPackage) {
  for (DType type : {DType::F16, DType::BF16, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                     DType::Q8_0, DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K}) {
    const std::string name(dtype_name(type));
    ASSERT_TRUE(quant::can_dequantize(type)) << name;
    const auto blocks = read_bytes(golden(name + ".blocks"));
    const auto want = read_floats(golden(name + ".f32"));
    ASSERT_FALSE(want.empty()) << name;
    ASSERT_EQ(row_bytes(type, static_cast<int64_t>(want.size())), blocks.size()) << name;
    std::vector<float> got(want.size());
    quant::dequantize_row(type, blocks.data(), got.data(), static_cast<int64_t>(got.size()));
    expect_close(got, want, name);
  }
}

TEST(QuantDequantize, UnknownTypesAreRefusedWithTheirName) {
  float out[32];
  const uint8_t zeros[64] = {};
  EXPECT_FALSE(quant::can_dequantize(DType::I32));
  try {
    quant::dequantize_row(DType::I32, zeros, out, 1);
    FAIL() << "no error";
  } catch (const pgpp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("I32"), std::string::npos) << e.what();
  }
}

TEST(QuantDequantize, RealTensorsOfTheDefaultModelMatchTheGgufPackage) {
  const GgufFile model(test::default_decoder());
  std::ifstream in(golden("manifest.json"));
  ASSERT_TRUE(in);
  const auto manifest = nlohmann::json::parse(in);
  ASSERT_GE(manifest["tensors"].size(), 2u);
  for (const auto& entry : manifest["tensors"]) {
    const std::string name = entry["tensor"];
    const TensorView& t = model.tensor(name);
    EXPECT_EQ(std::string(dtype_name(t.type)), entry["type"].get<std::string>()) << name;
    const int64_t rows = entry["rows"];
    ASSERT_EQ(t.ne[0], entry["row_length"].get<int64_t>()) << name;
    const auto want = read_floats(golden(entry["file"]));
    std::vector<float> got(static_cast<std::size_t>(rows * t.ne[0]));
    for (int64_t r = 0; r < rows; ++r) get_row(t, r, got.data() + r * t.ne[0]);
    expect_close(got, want, name);
  }
}

TEST(QuantQuantize, Q8_0IsBitExactWithTheGgufPackage) {
  const auto x = read_floats(golden("q8_0_quantize.in.f32"));
  const auto want = read_bytes(golden("q8_0_quantize.blocks"));
  ASSERT_EQ(want.size(), x.size() / 32 * 34);
  std::vector<uint8_t> got(want.size());
  quant::quantize_row_q8_0(x.data(), got.data(), static_cast<int64_t>(x.size()));
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i], want[i]) << "byte " << i << " (block " << i / 34 << ")";
  }
}

TEST(QuantQuantize, ActivationBlocksRoundEachValueToTheNearestStep) {
  const auto x = read_floats(golden("q8_0_quantize.in.f32"));
  std::vector<quant::ActivationBlock> q(x.size() / 32);
  quant::quantize_activations(x.data(), q.data(), static_cast<int64_t>(x.size()));
  for (std::size_t b = 0; b < q.size(); ++b) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[b * 32 + i]));
    EXPECT_FLOAT_EQ(q[b].d, amax / 127.0f);
    for (int h = 0; h < 2; ++h) {
      int sum = 0;
      for (int i = 16 * h; i < 16 * h + 16; ++i) {
        EXPECT_LE(std::abs(q[b].qs[i]), 127);
        EXPECT_LE(std::fabs(q[b].d * q[b].qs[i] - x[b * 32 + i]), q[b].d * 0.5f * 1.0001f + 1e-30f);
        sum += q[b].qs[i];
      }
      EXPECT_EQ(q[b].s[h], q[b].d * static_cast<float>(sum));
    }
    EXPECT_EQ(q[b].s_all, q[b].s[0] + q[b].s[1]);
  }
}

}  // namespace
}  // namespace pgpp::kernels
