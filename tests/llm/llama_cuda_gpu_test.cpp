// The decoder on the GPU against the CPU backend, on the real default model: logits after a
// prompt, greedy generation (64 tokens over 3 prompts), the KV cache's prefix reuse and the
// decode graph. Skips, saying why, where there is no usable GPU; fails if the model is missing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_device.h"
#include "kernels/device.h"
#include "llm/decoder_runner.h"
#include "llm/llama_model.h"
#include "llm/sampler.h"
#include "llm/session.h"
#include "tests/common/accuracy.h"
#include "tests/common/test_models.h"
#if PGPP_HAVE_CUDA
#include "llm/cuda/llama_cuda.h"
#endif

namespace pgpp::test {
namespace {

class LlamaCudaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto gpu = kernels::cuda::probe_cuda_device();
    if (!gpu.available) GTEST_SKIP() << "no GPU here: " << gpu.reason;
    if (!model_) model_ = llm::LlamaModel::load(default_decoder()).release();
    if (!exact_) {
      exact_ = llm::LlamaModel::load(default_decoder(), {.dequantize_weights = true}).release();
    }
  }
  static void TearDownTestSuite() {
    delete model_;
    delete exact_;
    model_ = exact_ = nullptr;
  }

  std::unique_ptr<llm::DecoderRunner> runner(kernels::Device d, int64_t ctx = 1024) {
    return llm::make_decoder_runner(*model_, cpu_, d, ctx);
  }
  std::vector<int32_t> encode(const std::string& text) {
    llm::Session s(*model_, cpu_);
    return s.tokenizer().encode(text, s.tokenizer().add_bos_by_default(), false);
  }

  // The reference for the GPU is the CPU's float path: the same stored weights, expanded to
  // floats, with float activations, which is what the GPU's decode kernels compute. The CPU's
  // fast path (model_ on the CPU) quantizes activations to 8 bits: on this Q4_1 model its
  // logits are up to ~0.1 (relative) from the float path's and its greedy choice differs at
  // margins up to ~0.3 (measured), far outside what the GPU may differ by.
  std::unique_ptr<llm::DecoderRunner> cpu_reference(int64_t ctx = 1024) {
    return llm::make_decoder_runner(*exact_, cpu_, kernels::Device::Cpu, ctx);
  }

  static llm::LlamaModel* model_;
  static llm::LlamaModel* exact_;
  kernels::CpuBackend cpu_{2};
};
llm::LlamaModel* LlamaCudaTest::model_ = nullptr;
llm::LlamaModel* LlamaCudaTest::exact_ = nullptr;

// The GPU's prefill multiplies FP16 operands (weights and activations rounded to 11 bits), a
// few 1e-3 from the float path after 30 layers; its decode steps are FP32 throughout.
constexpr double kLogitTolerance = 2e-2;
// Greedy choices may differ only where the float path's own top two are this close (relative
// to the row's range, as tests/llm/llama_model_test.cpp measures logits).
constexpr double kNearTie = 5e-3;

float logit_range(std::span<const float> logits) {
  const auto [lo, hi] = std::minmax_element(logits.begin(), logits.end());
  return *hi - *lo;
}

const std::vector<std::string> kPrompts = {
    "The capital of France is",
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "A contract is terminated when either party gives written notice. Notice must be given",
};

TEST_F(LlamaCudaTest, RunsOnTheGpuWhenAskedAndSaysSo) {
  auto gpu = runner(kernels::Device::Cuda);
  EXPECT_EQ(gpu->description().rfind("cuda (", 0), 0u) << gpu->description();
  auto automatic = runner(kernels::Device::Auto);
  EXPECT_EQ(automatic->description().rfind("cuda (", 0), 0u)
      << "auto must take the GPU when there is one";
}

TEST_F(LlamaCudaTest, PromptLogitsMatchTheCpu) {
  for (const std::string& p : kPrompts) {
    const auto ids = encode(p);
    auto cpu = cpu_reference();
    auto gpu = runner(kernels::Device::Cuda);
    cpu->forward(ids, 256);
    // The prompt in one batch: its matrix products through cuBLAS.
    gpu->forward(ids, 256);
    const std::vector<float> ref(cpu->logits().begin(), cpu->logits().end());
    const auto out = gpu->logits();
    ASSERT_EQ(out.size(), ref.size());
    for (float v : out) ASSERT_FALSE(std::isnan(v));
    EXPECT_LT(relative_error(out, ref), kLogitTolerance) << p;
    const int32_t a = cpu->argmax_logits(), b = gpu->argmax_logits();
    if (a != b) {
      EXPECT_LT(ref[static_cast<std::size_t>(a)] - ref[static_cast<std::size_t>(b)],
                kNearTie * logit_range(ref))
          << p << ": the GPU's top token " << b << " is not a near-tie of the CPU's " << a;
    }
  }
}

// 64 decode steps after each prompt, both backends fed the reference's greedy token so that a
// near-tie (where either choice is right) does not end the comparison: the logits of every
// step must agree, and the GPU's top token may differ only at a near-tie of the reference.
TEST_F(LlamaCudaTest, GreedyTokensMatchTheCpuFor64TokensOver3Prompts) {
  for (const std::string& p : kPrompts) {
    auto cpu = cpu_reference();
    auto gpu = runner(kernels::Device::Cuda);
    const auto ids = encode(p);
    cpu->forward(ids, 256);
    gpu->forward(ids, 256);
    int near_ties = 0;
    for (int i = 0; i < 64; ++i) {
      const std::vector<float> ref(cpu->logits().begin(), cpu->logits().end());
      const int32_t b = gpu->argmax_logits();
      const auto out = gpu->logits();
      ASSERT_LT(relative_error(out, ref), kLogitTolerance) << p << ": step " << i;
      const int32_t a = llm::argmax(ref);
      if (a != b) {
        const float gap = ref[static_cast<std::size_t>(a)] - ref[static_cast<std::size_t>(b)];
        EXPECT_LT(gap, kNearTie * logit_range(ref))
            << p << ": step " << i << " chose " << a << " on the CPU, " << b
            << " on the GPU, and the CPU's logits are " << gap << " apart";
        ++near_ties;
      }
      cpu->forward(std::span<const int32_t>(&a, 1), 1);
      gpu->forward(std::span<const int32_t>(&a, 1), 1);
    }
    if (near_ties > 0) std::cout << "[ note ] '" << p << "': " << near_ties << " near-ties\n";
  }
}

// `pgpp ask` and the desktop decode greedily with a repetition penalty: the GPU applies it
// itself and returns only the token, which must be the host sampler's choice on the same logits.
TEST_F(LlamaCudaTest, PenalizedGreedyPicksTheHostSamplersToken) {
  llm::SamplerParams params = llm::SamplerParams::greedy();
  params.repeat_penalty = 1.3f;
  params.presence_penalty = 0.2f;
  params.frequency_penalty = 0.05f;
  const llm::Sampler sampler(params);
  auto history = encode(kPrompts[2]);
  auto on_gpu = runner(kernels::Device::Cuda);
  auto read_back = runner(kernels::Device::Cuda);
  on_gpu->forward(history, 256);
  read_back->forward(history, 256);
  for (int step = 0; step < 16; ++step) {
    const int32_t t = on_gpu->pick_greedy(sampler, history);
    std::vector<float> host(read_back->logits().begin(), read_back->logits().end());
    llm::Sampler host_sampler(params);
    EXPECT_EQ(t, host_sampler.sample(host, history)) << "step " << step;
    // The penalized logits themselves agree bit for bit.
    const auto penalized = on_gpu->logits();
    std::size_t differ = 0;
    for (std::size_t i = 0; i < host.size(); ++i) differ += penalized[i] != host[i];
    EXPECT_EQ(differ, 0u) << "step " << step;
    history.push_back(t);
    on_gpu->forward(std::span<const int32_t>(&t, 1), 1);
    read_back->forward(std::span<const int32_t>(&t, 1), 1);
  }
}

TEST_F(LlamaCudaTest, ReusedPrefixGivesTheLogitsOfAFreshRun) {
  const auto a =
      encode("The library holds three kinds of documents: contracts, manuals and letters.");
  auto b = a;
  b.back() = b[1];  // same prefix, different last token
  auto gpu = runner(kernels::Device::Cuda);
  gpu->forward(a, 256);
  const int64_t keep = gpu->common_prefix(b);
  ASSERT_EQ(keep, static_cast<int64_t>(b.size()) - 1);
  gpu->truncate(keep);
  gpu->forward(std::span<const int32_t>(b).subspan(static_cast<std::size_t>(keep)), 256);
  const std::vector<float> reused(gpu->logits().begin(), gpu->logits().end());
  // The fresh run takes the same path for the last token (a one-token decode step after a
  // prefill): run in one batch, that token would go through the prefill's FP16-operand GEMMs
  // instead of the FP32 matrix-vector kernel (operands rounded to 11 bits, some 1e-4..1e-3 in
  // the logits) whatever the cache holds. What is left is cuBLAS's choice of algorithm for a
  // prefill one row longer or shorter (summation order); a stale or misplaced cache row moves
  // the logits by far more than 1e-3.
  auto fresh = runner(kernels::Device::Cuda);
  fresh->forward(std::span<const int32_t>(b).first(static_cast<std::size_t>(keep)), 256);
  fresh->forward(std::span<const int32_t>(b).subspan(static_cast<std::size_t>(keep)), 256);
  EXPECT_LT(relative_error(reused, fresh->logits()), 1e-3);
}

#if PGPP_HAVE_CUDA
TEST_F(LlamaCudaTest, GraphReplayEqualsStepByStepLaunches) {
  const auto ids = encode(kPrompts[0]);
  llm::LlamaCuda with_graph(*model_, 512), without(*model_, 512);
  without.use_graph(false);
  with_graph.forward(ids, 256);
  without.forward(ids, 256);
  for (int i = 0; i < 16; ++i) {  // the graph is captured at the second step, replayed after
    const int32_t t = without.argmax_logits();
    ASSERT_EQ(with_graph.argmax_logits(), t) << "step " << i;
    with_graph.forward(std::span<const int32_t>(&t, 1), 1);
    without.forward(std::span<const int32_t>(&t, 1), 1);
    EXPECT_LT(relative_error(with_graph.logits(), without.logits()), 1e-6) << "step " << i;
  }
}
#endif

TEST_F(LlamaCudaTest, SessionOnTheGpuStreamsTheSameReplyAsOnTheCpu) {
  llm::SessionOptions o;
  o.context = 1024;
  o.max_tokens = 24;
  o.sampling = llm::SamplerParams::greedy();
  llm::Session cpu(*exact_, cpu_, o);  // the float path, as above
  o.device = kernels::Device::Cuda;
  llm::Session gpu(*model_, cpu_, o);
  const std::vector<llm::ChatMessage> q{{"user", "Name three colours of the rainbow."}};
  const auto a = cpu.chat(q);
  const auto b = gpu.chat(q);
  EXPECT_EQ(b.text, a.text);
  EXPECT_GT(b.generated_tokens, 0);
}

}  // namespace
}  // namespace pgpp::test
