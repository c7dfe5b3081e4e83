// `pgpp models` run as a person runs it, on the real default models.
#include <gtest/gtest.h>

#include <string>

#include "tests/common/pgpp_command.h"
#include "tests/common/test_models.h"

namespace {

TEST(PgppModels, ListsTheDefaultDecoderAndEncoderWithTheirFacts) {
  pgpp::test::default_decoder();
  pgpp::test::default_encoder();
  const auto r = pgpp::test::run_pgpp("models");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("SmolLM2-135M-Instruct.Q4_1.gguf  (default)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("llama, 30 layers, 576 embedding, 9 heads (3 kv)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Q4_1 x210"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("all-minilm-l6-v2  (default)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("384 dimensions, mean pooling, normalized"), std::string::npos) << r.output;
}

TEST(PgppModels, JsonOutputForScripts) {
  const auto r = pgpp::test::run_pgpp("models --json " + pgpp::test::default_decoder().string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("\"context_length\": 8192"), std::string::npos) << r.output;
}

TEST(PgppModels, ABrokenModelFileIsReportedByNameAndTheCommandFails) {
  const auto dir = pgpp::test::make_temp_dir("models");
  { FILE* f = fopen((dir / "broken.gguf").c_str(), "w"); fputs("GGUF", f); fclose(f); }
  const auto r = pgpp::test::run_pgpp("models " + dir.string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("broken.gguf"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ends early"), std::string::npos) << r.output;
  std::filesystem::remove_all(dir);
}

}  // namespace
