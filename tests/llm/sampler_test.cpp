// The sampler on real logits (the default model's next-token row after a prompt from the
// goldens) and on small hand-made rows where a property is easier to see.
#include "llm/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "llm/llama_model.h"
#include "tests/common/test_models.h"
#include "tests/llm/decoder_goldens.h"

namespace pgpp::test {
namespace {

class SamplerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto model = llm::LlamaModel::load(default_decoder());
    kernels::CpuBackend cpu(2);
    auto cache = model->make_cache(64);
    logits_ = new std::vector<float>();
    model->forward(cpu, cache, load_decoder_goldens()[0].ids, false, *logits_);
  }
  static void TearDownTestSuite() { delete logits_; }
  static std::vector<int32_t> draw(llm::SamplerParams p, int n) {
    llm::Sampler s(p);
    std::vector<int32_t> out;
    for (int i = 0; i < n; ++i) {
      std::vector<float> row = *logits_;
      out.push_back(s.sample(row, {}));
    }
    return out;
  }
  static std::vector<float>* logits_;
};
std::vector<float>* SamplerTest::logits_ = nullptr;

llm::SamplerParams wide(uint64_t seed) {
  llm::SamplerParams p;
  p.temperature = 1.5f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = seed;
  return p;
}

TEST_F(SamplerTest, SameSeedSameTokensOtherSeedOtherTokens) {
  const auto a = draw(wide(42), 64);
  EXPECT_EQ(a, draw(wide(42), 64));
  EXPECT_NE(a, draw(wide(43), 64));
  // A wide distribution really is sampled: more than one distinct token comes out.
  EXPECT_GT(std::set<int32_t>(a.begin(), a.end()).size(), 1u);
}

TEST_F(SamplerTest, GreedyTopKOneTinyTopPAndFullMinPAllPickTheArgmax) {
  const int32_t best = llm::argmax(*logits_);
  EXPECT_EQ(draw(llm::SamplerParams::greedy(), 3), std::vector<int32_t>(3, best));
  auto k1 = wide(1);
  k1.top_k = 1;
  EXPECT_EQ(draw(k1, 20), std::vector<int32_t>(20, best));
  auto p0 = wide(2);
  p0.top_p = 1e-6f;
  EXPECT_EQ(draw(p0, 20), std::vector<int32_t>(20, best));
  auto m1 = wide(3);
  m1.min_p = 1.0f;
  EXPECT_EQ(draw(m1, 20), std::vector<int32_t>(20, best));
}

TEST_F(SamplerTest, TopKKeepsOnlyTheKBest) {
  auto p = wide(7);
  p.top_k = 5;
  std::vector<int32_t> order(logits_->size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::partial_sort(order.begin(), order.begin() + 5, order.end(),
                    [&](int32_t a, int32_t b) { return (*logits_)[a] > (*logits_)[b]; });
  const std::set<int32_t> top5(order.begin(), order.begin() + 5);
  for (int32_t t : draw(p, 200)) EXPECT_TRUE(top5.count(t)) << t;
}

TEST(Sampler, FrequenciesFollowTheSoftmax) {
  // Three tokens with probabilities 0.5, 0.3, 0.2 at temperature 1.
  const std::vector<float> base{std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  llm::SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 9;
  llm::Sampler s(p);
  std::map<int32_t, int> counts;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    std::vector<float> row = base;
    ++counts[s.sample(row, {})];
  }
  EXPECT_NEAR(counts[0] / double(n), 0.5, 0.015);
  EXPECT_NEAR(counts[1] / double(n), 0.3, 0.015);
  EXPECT_NEAR(counts[2] / double(n), 0.2, 0.015);
}

TEST(Sampler, PenaltiesTouchOnlyRecentTokensAsDefined) {
  llm::SamplerParams p;
  p.repeat_penalty = 2.0f;
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  p.penalty_last_n = 3;
  llm::Sampler s(p);
  std::vector<float> row{4.0f, -4.0f, 1.0f, 3.0f, 2.0f};
  // Token 3 is outside the last-3 window; 1 appears twice, 0 once.
  const std::vector<int32_t> history{3, 1, 0, 1};
  s.apply_penalties(row, history);
  EXPECT_FLOAT_EQ(row[0], 4.0f / 2 - 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(row[1], -4.0f * 2 - 0.5f - 0.5f);
  EXPECT_FLOAT_EQ(row[2], 1.0f);
  EXPECT_FLOAT_EQ(row[3], 3.0f);
  EXPECT_FLOAT_EQ(row[4], 2.0f);
}

TEST_F(SamplerTest, RepetitionPenaltyMovesGreedyOffARepeatedToken) {
  const int32_t best = llm::argmax(*logits_);
  llm::SamplerParams p = llm::SamplerParams::greedy();
  p.repeat_penalty = 1e6f;  // a positive logit divided by this is ~0: below the runner-up
  llm::Sampler s(p);
  std::vector<float> row = *logits_;
  const std::vector<int32_t> history{best};
  const int32_t pick = s.sample(row, history);
  EXPECT_NE(pick, best);
  std::vector<float> plain = *logits_;
  plain[static_cast<std::size_t>(best)] = -INFINITY;
  EXPECT_EQ(pick, llm::argmax(plain));
}

}  // namespace
}  // namespace pgpp::test

namespace pgpp::llm {
namespace {

// What the GPU is told to penalize: the distinct tokens of the last penalty_last_n, counted.
TEST(SamplerPenalties, PenalizedTokensAreTheWindowsDistinctTokensWithCounts) {
  SamplerParams p = SamplerParams::greedy();
  EXPECT_TRUE(Sampler(p).penalized_tokens(std::vector<int32_t>{1, 2, 3}).empty())
      << "no penalty is on";
  p.repeat_penalty = 1.1f;
  p.penalty_last_n = 4;
  auto tokens = Sampler(p).penalized_tokens(std::vector<int32_t>{9, 9, 5, 7, 5, 5});
  std::sort(tokens.begin(), tokens.end());
  const std::vector<std::pair<int32_t, int>> want{{5, 3}, {7, 1}};  // the first two 9s are outside
  EXPECT_EQ(tokens, want);
  p.penalty_last_n = 0;
  EXPECT_TRUE(Sampler(p).penalized_tokens(std::vector<int32_t>{1, 2}).empty()) << "window of 0";
}

}  // namespace
}  // namespace pgpp::llm
