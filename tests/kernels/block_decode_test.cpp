// The eight-weights-at-a-time decoders the GPU kernels use (kernels/quant/block_decode.h),
// run here on the host against the scalar reference quant::dequantize_row: every chunk of
// random rows of every format, of several lengths, must decode to the same bits. This is the
// part of the GPU kernels' correctness that needs no GPU.
#include "kernels/quant/block_decode.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/matmul.h"
#include "kernels/quant/dequantize.h"
#include "kernels/quant/quantize.h"
#include "tests/kernels/random_weights.h"

namespace pgpp::kernels {
namespace {

namespace block = quant::block;
using testing::kWeightTypes;
using testing::random_weight_rows;

// Decodes a whole row chunk by chunk (plus the plain types' tail element by element) with the
// run-time dispatch.
std::vector<float> decode_by_chunks(DType t, const uint8_t* row, int64_t cols) {
  std::vector<float> out(static_cast<std::size_t>(cols));
  const int64_t whole = cols / block::kChunk;
  for (int64_t c = 0; c < whole; ++c) {
    EXPECT_TRUE(block::decode_chunk(t, row, c, out.data() + c * block::kChunk));
  }
  for (int64_t i = whole * block::kChunk; i < cols; ++i)
    out[static_cast<std::size_t>(i)] = block::decode_element(t, row, i);
  return out;
}

// The compile-time form, as kernels instantiate it.
template <DType T>
std::vector<float> decode_by_chunks_templated(const uint8_t* row, int64_t cols) {
  std::vector<float> out(static_cast<std::size_t>(cols));
  const int64_t whole = cols / block::kChunk;
  for (int64_t c = 0; c < whole; ++c)
    block::decode_chunk<T>(row, c, out.data() + c * block::kChunk);
  if constexpr (block::is_plain(T)) {
    for (int64_t i = whole * block::kChunk; i < cols; ++i)
      out[static_cast<std::size_t>(i)] = block::decode_element<T>(row, i);
  }
  return out;
}

template <DType... Ts>
std::vector<float> decode_templated(DType t, const uint8_t* row, int64_t cols,
                                    std::integer_sequence<DType, Ts...>) {
  std::vector<float> out;
  ((t == Ts ? (out = decode_by_chunks_templated<Ts>(row, cols), 0) : 0), ...);
  return out;
}

std::vector<float> decode_templated(DType t, const uint8_t* row, int64_t cols) {
  return decode_templated(
      t, row, cols,
      std::integer_sequence<DType, DType::F32, DType::F16, DType::BF16, DType::Q4_0, DType::Q4_1,
                            DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::Q2_K, DType::Q3_K,
                            DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::Q8_K>{});
}

// Bit equality, reporting the first few differences with their chunk.
void expect_same_bits(const std::vector<float>& got, const std::vector<float>& want,
                      const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::bit_cast<uint32_t>(got[i]) != std::bit_cast<uint32_t>(want[i]) && ++bad <= 5) {
      ADD_FAILURE() << what << ": weight " << i << " (chunk " << i / 8 << "): " << got[i]
                    << " vs reference " << want[i];
    }
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " weights differ";
}

void check_rows(DType t, const std::vector<uint8_t>& bytes, int64_t rows, int64_t cols,
                const std::string& what) {
  const std::size_t rb = row_bytes(t, cols);
  ASSERT_EQ(bytes.size(), rb * static_cast<std::size_t>(rows)) << what;
  std::vector<float> want(static_cast<std::size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* row = bytes.data() + static_cast<std::size_t>(r) * rb;
    quant::dequantize_row(t, row, want.data(), cols);
    const std::string where = what + " row " + std::to_string(r);
    expect_same_bits(decode_by_chunks(t, row, cols), want, where + " (run-time type)");
    expect_same_bits(decode_templated(t, row, cols), want, where + " (compile-time type)");
  }
}

// Row lengths per block size: one block, a few, a model's hidden size, Llama's FFN width
// (11008 = 43 * 256), and for plain types lengths that leave a short last chunk.
std::vector<int64_t> lengths_for(DType t) {
  const int bs = dtype_traits(t).block_size;
  if (bs == 1) return {1, 7, 8, 9, 15, 64, 4096, 4097, 11008};
  if (bs == 32) return {32, 64, 96, 4096, 11008};
  return {256, 512, 768, 4096, 11008};
}

TEST(BlockDecode, KnowsExactlyTheTypesTheCpuMatmulSupports) {
  for (uint32_t id = 0; id < 64; ++id) {
    const auto traits = dtype_traits(id);
    if (!traits) continue;
    const auto t = static_cast<DType>(id);
    EXPECT_EQ(block::can_decode(t), matmul_supports(t)) << traits->name;
    if (!block::can_decode(t)) {
      float out[8] = {};
      const uint8_t zeros[512] = {};
      EXPECT_FALSE(block::decode_chunk(t, zeros, 0, out)) << traits->name;
      continue;
    }
    const auto layout = block::layout_of(t);
    EXPECT_EQ(layout.weights, traits->block_size) << traits->name;
    EXPECT_EQ(layout.bytes, traits->block_bytes) << traits->name;
    EXPECT_EQ(block::is_plain(t), !traits->quantized) << traits->name;
    // A chunk never straddles two blocks.
    EXPECT_TRUE(layout.weights == 1 || layout.weights % block::kChunk == 0) << traits->name;
  }
}

TEST(BlockDecode, EveryChunkOfRandomRowsMatchesTheReference) {
  std::mt19937 rng(20261202);
  for (DType t : kWeightTypes) {
    const std::string name(dtype_name(t));
    for (int64_t cols : lengths_for(t)) {
      const int64_t rows = cols > 4096 ? 2 : 5;
      check_rows(t, random_weight_rows(t, rows, cols, rng), rows, cols,
                 name + " cols " + std::to_string(cols));
    }
  }
}

// Every bit pattern of the quantized bytes, scales included: the decoders must agree with the
// reference even where the values are extreme (subnormal, huge, infinite or NaN scales), since
// they only rearrange which bits are read. NaN results compare by their bits.
TEST(BlockDecode, EntirelyRandomBytesDecodeToTheSameBits) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  for (DType t : kWeightTypes) {
    if (block::is_plain(t)) continue;  // plain types are covered with finite values above
    const int64_t cols = 4 * dtype_traits(t).block_size;
    std::vector<uint8_t> bytes(row_bytes(t, cols) * 3);
    for (auto& b : bytes) b = static_cast<uint8_t>(byte(rng));
    check_rows(t, bytes, 3, cols, std::string(dtype_name(t)) + " random bytes");
  }
}

TEST(BlockDecode, PlainTypesKeepSpecialValues) {
  // Zeros of both signs, the smallest subnormal, the largest finite, infinities and a NaN.
  const std::vector<uint16_t> halves = {0x0000, 0x8000, 0x0001, 0x83FF, 0x7BFF, 0xFBFF,
                                        0x7C00, 0xFC00, 0x7E00, 0x3C00, 0x0400, 0x03FF,
                                        0x3555, 0xC000, 0x1234, 0x4321, 0x7FFF};
  const auto* bytes = reinterpret_cast<const uint8_t*>(halves.data());
  const auto n = static_cast<int64_t>(halves.size());
  for (DType t : {DType::F16, DType::BF16}) {
    std::vector<float> want(halves.size());
    quant::dequantize_row(t, bytes, want.data(), n);
    expect_same_bits(decode_by_chunks(t, bytes, n), want,
                     std::string(dtype_name(t)) + " special values");
  }
}

TEST(BlockDecode, QuantizedFloatsRoundTripThroughQ8_0) {
  std::mt19937 rng(11);
  for (int64_t cols : {32, 4096, 11008}) {
    const auto x = testing::random_floats(static_cast<std::size_t>(cols), rng, 3.0f);
    std::vector<uint8_t> q(row_bytes(DType::Q8_0, cols));
    quant::quantize_row_q8_0(x.data(), q.data(), cols);
    check_rows(DType::Q8_0, q, 1, cols, "quantized Q8_0 cols " + std::to_string(cols));
  }
}

// Blocks written by the `gguf` Python package (the dequantize test's goldens): real encoder
// output rather than random bytes.
TEST(BlockDecode, GgufPackageBlocksMatchTheReference) {
  for (DType t : {DType::F16, DType::BF16, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                  DType::Q8_0, DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K}) {
    const std::string name(dtype_name(t));
    const auto path = std::filesystem::path(PGPP_TEST_DATA_DIR) / "quant" / (name + ".blocks");
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "missing golden " << path;
    const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                     std::istreambuf_iterator<char>()};
    const auto traits = dtype_traits(t);
    const auto cols =
        static_cast<int64_t>(bytes.size() / static_cast<std::size_t>(traits.block_bytes)) *
        traits.block_size;
    ASSERT_GT(cols, 0) << name;
    check_rows(t, bytes, 1, cols, name + " gguf blocks");
  }
}

}  // namespace
}  // namespace pgpp::kernels
