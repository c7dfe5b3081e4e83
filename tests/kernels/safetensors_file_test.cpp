#include "kernels/safetensors_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "kernels/error.h"
#include "tests/common/test_models.h"

namespace pgpp::kernels {
namespace {

TEST(SafetensorsFile, ReadsTheDefaultEncodersWeights) {
  const SafetensorsFile f(test::default_encoder() / "model.safetensors");
  // all-MiniLM-L6-v2: BERT, 6 layers, hidden 384, vocabulary 30522.
  const auto& words = f.tensor("embeddings.word_embeddings.weight");
  EXPECT_EQ(words.type, DType::F32);
  EXPECT_EQ(words.ne[0], 384);
  EXPECT_EQ(words.ne[1], 30522);
  const auto& ff = f.tensor("encoder.layer.5.intermediate.dense.weight");
  EXPECT_EQ(ff.ne[0], 384);   // in_features: contiguous
  EXPECT_EQ(ff.ne[1], 1536);  // out_features: rows
  float first = 0;
  std::memcpy(&first, words.data, 4);
  EXPECT_TRUE(std::isfinite(first));
  EXPECT_THROW(f.tensor("encoder.layer.6.output.dense.weight"), Error);
}

TEST(SafetensorsFile, MalformedHeadersAreRefusedWithTheFileName) {
  const auto dir = test::make_temp_dir("st");
  {
    std::ofstream out(dir / "bad.safetensors", std::ios::binary);
    const uint64_t n = 5;
    out.write(reinterpret_cast<const char*>(&n), 8);
    out << "{nope";
  }
  try {
    SafetensorsFile f(dir / "bad.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.safetensors"), std::string::npos);
  }
  {
    std::ofstream out(dir / "short.safetensors", std::ios::binary);
    const std::string header = R"({"w":{"dtype":"F32","shape":[4,4],"data_offsets":[0,64]}})";
    const uint64_t n = header.size();
    out.write(reinterpret_cast<const char*>(&n), 8);
    out << header << std::string(16, '\0');
  }
  EXPECT_THROW(SafetensorsFile(dir / "short.safetensors"), Error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgpp::kernels
