// `pgpp embed --model FILE.gguf` and `pgpp models FILE.gguf` run as a person runs them, on the
// default encoder converted to GGUF (tests/common/bert_gguf_converter).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "embed/encoder.h"
#include "tests/common/bert_gguf_converter.h"
#include "tests/common/pgpp_command.h"
#include "tests/common/test_models.h"

namespace pgpp::embed {
namespace {

namespace fs = std::filesystem;

class PgppGgufEncoder : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("pgpp_gguf_encoder");
    model_ = dir_ / "minilm.F16.gguf";
    test::BertGgufOptions o;
    o.matrices = kernels::DType::F16;
    test::write_bert_gguf(test::default_encoder(), model_, o);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_, model_;
};

TEST_F(PgppGgufEncoder, EmbedPrintsTheSameVectorAsTheFolder) {
  const std::string text = "The cat sat on the mat.";
  const auto r = test::run_pgpp("embed --threads 2 --json --model " + model_.string() + " '" + text + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('[')));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["tokens"], 9);  // [CLS] the cat sat on the mat . [SEP]
  EXPECT_NEAR(j[0]["norm"].get<double>(), 1.0, 1e-5);
  const auto got = j[0]["embedding"].get<std::vector<float>>();
  kernels::CpuBackend cpu(2);
  Encoder folder(test::default_encoder(), cpu);
  const auto want = folder.embed({text});
  ASSERT_EQ(got.size(), want.size());
  double dot = 0;
  for (std::size_t i = 0; i < got.size(); ++i) dot += double(got[i]) * want[i];
  EXPECT_GE(dot, 0.9999);  // both unit vectors: the dot product is the cosine
}

TEST_F(PgppGgufEncoder, ModelsShowsTheEncoderFacts) {
  const auto r = test::run_pgpp("models " + model_.string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("encoder  " + model_.string()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("format          GGUF"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bert, 6 layers, 384 hidden, 12 heads"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("384 dimensions, mean pooling, normalized"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("max tokens      512"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("F16, vocabulary of 30522"), std::string::npos) << r.output;
}

TEST_F(PgppGgufEncoder, BrokenEncoderFilesFailWithTheReason) {
  const fs::path rank = dir_ / "reranker.gguf";
  test::BertGgufOptions o;
  o.vocabulary_only = true;
  o.pooling_type = 4;
  test::write_bert_gguf(test::default_encoder(), rank, o);
  auto r = test::run_pgpp("models " + rank.string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("encoder  " + rank.string()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("reranker.gguf: bert.pooling_type 4 is not supported"), std::string::npos)
      << r.output;

  r = test::run_pgpp("embed --model " + test::default_decoder().string() + " hello");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("architecture 'llama' is not supported as an encoder"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace pgpp::embed
