// The encoder on the GPU (FP16 weights and activations, FP32 sums) against the same encoder on
// the CPU, which matches sentence-transformers to a cosine of 0.9999 (encoder_test.cpp): every
// GPU vector must be within cosine 0.999 of the CPU's, on the golden texts and on a batch of
// 300 texts of mixed lengths up to the 256-token limit. Skips only where there is no GPU; a
// missing model fails.
#include <gtest/gtest.h>

#include "kernels/cuda/cuda_device.h"

// A CPU-only build has no GPU code to test: one test that says so and skips.
#if !PGPP_HAVE_CUDA
TEST(EncoderCuda, NeedsACudaBuild) {
  GTEST_SKIP() << pgpp::kernels::cuda::probe_cuda_device().reason;
}
#else

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "embed/bert_model.h"
#include "embed/cuda/bert_cuda.h"
#include "embed/encoder.h"
#include "kernels/cuda/cuda_context.h"
#include "kernels/cuda/cuda_device.h"
#include "tests/common/bert_gguf_converter.h"
#include "tests/common/test_models.h"
#include "tests/embed/encoder_goldens.h"

namespace pgpp::embed {
namespace {

using test_goldens::cosine;
using test_goldens::goldens;

class EncoderCuda : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto info = kernels::cuda::probe_cuda_device();
    if (!info.available) GTEST_SKIP() << "no GPU here: " << info.reason;
  }
  kernels::CpuBackend cpu_{0};
};

// Worst cosine between the rows of a and b; every row must be finite and within `bound`.
double expect_close(const std::vector<float>& gpu, const std::vector<float>& cpu, int dim,
                    double bound, const std::string& what) {
  EXPECT_EQ(gpu.size(), cpu.size()) << what;
  double worst = 1;
  for (std::size_t i = 0; i * dim < std::min(gpu.size(), cpu.size()); ++i) {
    const float* g = gpu.data() + i * dim;
    EXPECT_TRUE(std::all_of(g, g + dim, [](float f) { return std::isfinite(f); }))
        << what << ": row " << i;
    const double c = cosine(g, cpu.data() + i * dim, dim);
    worst = std::min(worst, c);
    EXPECT_GE(c, bound) << what << ": row " << i;
  }
  std::printf("%s: worst cosine GPU vs CPU %.7f\n", what.c_str(), worst);
  return worst;
}

TEST_F(EncoderCuda, GoldenTextsMatchTheCpuAndTheReference) {
  Encoder cpu_encoder(test::default_encoder(), cpu_);
  Encoder gpu_encoder(test::default_encoder(), cpu_, kernels::Device::Cuda);
  ASSERT_EQ(gpu_encoder.device(), kernels::Device::Cuda);
  const auto& g = goldens();
  const std::vector<float> gpu = gpu_encoder.embed(g.texts);
  expect_close(gpu, cpu_encoder.embed(g.texts), g.dim, 0.999, "golden texts");
  expect_close(gpu, g.vectors, g.dim, 0.999, "golden texts vs sentence-transformers");
  for (std::size_t i = 0; i < g.texts.size(); ++i) {  // normalised as the CPU's
    double sq = 0;
    for (int c = 0; c < g.dim; ++c) sq += double(gpu[i * g.dim + c]) * gpu[i * g.dim + c];
    EXPECT_NEAR(std::sqrt(sq), 1.0, 1e-4) << "text " << i;
  }
}

TEST_F(EncoderCuda, ThreeHundredTextsOfMixedLengthsMatchTheCpu) {
  // Words from the golden texts in random order and numbers, 1 to ~400 words: lengths from 3
  // tokens to past the 256-token limit (those are truncated on both devices), in one call that
  // the GPU runs as two batches (256 + 44) of very different lengths.
  std::vector<std::string> words;
  for (const std::string& t : goldens().texts) {
    std::size_t at = 0;
    while (at < t.size()) {
      const std::size_t end = std::min(t.find(' ', at), t.size());
      if (end > at) words.push_back(t.substr(at, end - at));
      at = end + 1;
    }
  }
  ASSERT_GT(words.size(), 100u);
  std::mt19937 rng(300);
  std::uniform_int_distribution<std::size_t> pick(0, words.size() - 1);
  std::uniform_int_distribution<int> length(1, 400);
  std::vector<std::string> texts(300);
  for (auto& t : texts) {
    const int n = length(rng);
    for (int i = 0; i < n; ++i) t += (i ? " " : "") + words[pick(rng)];
  }
  Encoder cpu_encoder(test::default_encoder(), cpu_);
  Encoder gpu_encoder(test::default_encoder(), cpu_, kernels::Device::Cuda);
  const EmbedResult gpu = gpu_encoder.embed_detailed(texts);
  const EmbedResult cpu = cpu_encoder.embed_detailed(texts);
  EXPECT_EQ(gpu.tokens, cpu.tokens);
  EXPECT_TRUE(std::any_of(gpu.truncated.begin(), gpu.truncated.end(), [](bool b) { return b; }));
  EXPECT_TRUE(std::any_of(gpu.tokens.begin(), gpu.tokens.end(), [](int n) { return n < 32; }));
  expect_close(gpu.vectors, cpu.vectors, gpu_encoder.dimension(), 0.999, "300 mixed texts");
}

TEST_F(EncoderCuda, HiddenStatesOfEveryTokenMatchTheCpuForward) {
  // Below the pooling: the final hidden state of each token, relative error of FP16 activations.
  const BertModel model(test::default_encoder(), cpu_);
  kernels::cuda::CudaContext ctx;
  BertCuda gpu(model, ctx);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> id(1000, 29000);
  std::vector<int32_t> ids;
  std::vector<int64_t> begin{0};
  for (const int len : {256, 200, 17, 3, 129, 1}) {
    for (int t = 0; t < len; ++t) ids.push_back(t == 0 ? 101 : t == len - 1 ? 102 : id(rng));
    begin.push_back(static_cast<int64_t>(ids.size()));
  }
  const std::vector<float> ref = model.forward(cpu_, ids, begin);
  const std::vector<float> out = gpu.forward(ids, begin);
  ASSERT_EQ(out.size(), ref.size());
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    ASSERT_TRUE(std::isfinite(out[i])) << "element " << i;
    diff += (double(out[i]) - ref[i]) * (double(out[i]) - ref[i]);
    norm += double(ref[i]) * ref[i];
  }
  EXPECT_LT(std::sqrt(diff / norm), 2e-2);
}

TEST_F(EncoderCuda, QuantizedGgufWithClsPoolingMatchesTheCpu) {
  // The GGUF path: Q8_0 matrices are expanded to FP16 at load and the file asks for CLS
  // pooling, so this covers what the folder does not (quantized weights, the CLS kernel).
  const std::filesystem::path dir = test::make_temp_dir("encoder_cuda_gguf");
  const std::filesystem::path file = dir / "all-minilm-l6-v2.q8_0.cls.gguf";
  test::BertGgufOptions options;
  options.matrices = kernels::DType::Q8_0;
  options.pooling_type = 2;  // CLS
  test::write_bert_gguf(test::default_encoder(), file, options);
  {
    Encoder cpu_encoder(file, cpu_);
    Encoder gpu_encoder(file, cpu_, kernels::Device::Cuda);
    ASSERT_EQ(gpu_encoder.pooling(), Pooling::Cls);
    const auto& g = goldens();
    expect_close(gpu_encoder.embed(g.texts), cpu_encoder.embed(g.texts), g.dim, 0.999,
                 "Q8_0 GGUF, CLS");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgpp::embed

#endif  // PGPP_HAVE_CUDA
