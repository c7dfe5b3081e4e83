// `pgpp generate`, `pgpp chat` and `pgpp bench decoder` run as a person runs them, on the real
// default decoder.
#include <gtest/gtest.h>

#include <string>

#include "kernels/cuda/cuda_device.h"
#include "kernels/gguf_file.h"
#include "llm/tokenizer.h"
#include "tests/common/pgpp_command.h"
#include "tests/common/test_models.h"
#include "tests/llm/decoder_goldens.h"

namespace {

TEST(PgppGenerate, RawGreedyContinuationIsTheReferences) {
  const auto model = pgpp::test::default_decoder();
  const auto golden = pgpp::test::load_decoder_goldens()[0];
  pgpp::kernels::GgufFile file(model);
  const auto tok = pgpp::llm::Tokenizer::from_gguf(file);
  // The first four greedy tokens, where the reference has no near-tie (llama_model_test).
  const std::vector<int32_t> want(golden.greedy.begin(), golden.greedy.begin() + 4);
  const auto r = pgpp::test::run_pgpp("generate --raw '" + golden.text + "' --temperature 0 -n 4 -t 2");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, golden.text + tok->decode(want) + "\n");
}

TEST(PgppGenerate, SameSeedSameTextAndStats) {
  const std::string args = "generate 'Tell me a story.' --temperature 1.2 --top-k 0 --top-p 1 --min-p 0 -n 8 -t 2 --seed 7";
  const auto a = pgpp::test::run_pgpp(args);
  const auto b = pgpp::test::run_pgpp(args);
  EXPECT_EQ(a.status, 0) << a.output;
  EXPECT_EQ(a.output, b.output);
  const auto s = pgpp::test::run_pgpp(args + " --stats");
  EXPECT_NE(s.output.find("generated; prefill"), std::string::npos) << s.output;
}

TEST(PgppGenerate, AMissingModelIsNamed) {
  const auto r = pgpp::test::run_pgpp("generate hello --model /nonexistent/model.gguf");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("model.gguf"), std::string::npos) << r.output;
}

TEST(PgppChat, AnswersResetsAndQuitsAtEndOfInput) {
  pgpp::test::default_decoder();
  const auto r = pgpp::test::run_pgpp("chat --temperature 0 -n 12 -t 2", "What is 2+2?\n/reset\n");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("conversation cleared"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("4"), std::string::npos) << r.output;
}

TEST(PgppBench, DecoderReportsPromptAndGenerationSpeed) {
  pgpp::test::default_decoder();
  const auto r = pgpp::test::run_pgpp("bench decoder -p 16 -n 4 -r 1 -t 2 --json");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("\"test\":\"pp16\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"test\":\"tg4\""), std::string::npos) << r.output;
}

TEST(PgppDevice, AMisspeltDeviceIsRefusedNamingTheChoices) {
  pgpp::test::default_decoder();
  const auto r = pgpp::test::run_pgpp("generate --device tpu -n 2 hello");
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("auto, cpu or cuda"), std::string::npos) << r.output;
}

// Without a GPU, --device cuda fails with the reason; with one, it generates and says where.
TEST(PgppDevice, CudaEitherRunsOnTheGpuOrSaysWhyNot) {
  pgpp::test::default_decoder();
  const auto gpu = pgpp::kernels::cuda::probe_cuda_device();
  const auto r = pgpp::test::run_pgpp("generate --device cuda --temperature 0 -n 4 --stats hello");
  if (gpu.available) {
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("on cuda ("), std::string::npos) << r.output;
  } else {
    EXPECT_NE(r.status, 0) << r.output;
    EXPECT_NE(r.output.find(gpu.reason), std::string::npos) << r.output;
  }
}

TEST(PgppDevice, AutoRunsWhereverItCanAndSaysWhere) {
  pgpp::test::default_decoder();
  const auto r = pgpp::test::run_pgpp("generate --temperature 0 -n 4 -t 2 --stats hello");
  EXPECT_EQ(r.status, 0) << r.output;
  const bool gpu = pgpp::kernels::cuda::probe_cuda_device().available;
  EXPECT_NE(r.output.find(gpu ? "on cuda (" : "on cpu ("), std::string::npos) << r.output;
}

}  // namespace
