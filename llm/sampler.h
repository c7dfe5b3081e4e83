#pragma once
// Picks the next token from a row of logits. The steps, in llama.cpp's usual order:
// penalties (repetition, presence, frequency over the last `penalty_last_n` tokens) → greedy if
// temperature <= 0 → top-k → softmax with temperature → top-p → min-p → draw with a seeded
// generator (the same seed and inputs give the same tokens).
#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

namespace pgpp::llm {

struct SamplerParams {
  float temperature = 0.8f;  // <= 0: greedy
  int top_k = 40;            // <= 0: all tokens
  float top_p = 0.95f;       // 1: off
  float min_p = 0.05f;       // 0: off; keeps tokens with p >= min_p * p_max
  float repeat_penalty =
      1.0f;  // 1: off; > 1 lowers the logits of recent tokens (divide positive, multiply negative)
  float presence_penalty = 0.0f;   // subtracted once from each recent token's logit
  float frequency_penalty = 0.0f;  // subtracted per occurrence
  int penalty_last_n = 64;  // how many recent tokens the penalties look at (0: none, -1: all)
  uint64_t seed = 0;

  static SamplerParams greedy() {
    SamplerParams p;
    p.temperature = 0;
    return p;
  }
};

class Sampler {
 public:
  explicit Sampler(SamplerParams params = {});

  const SamplerParams& params() const { return params_; }
  void reseed(uint64_t seed) { rng_.seed(seed); }

  // The chosen token for `logits` (n_vocab floats, modified in place by the penalties) given the
  // tokens so far (`history`, prompt included).
  int32_t sample(std::span<float> logits, std::span<const int32_t> history);

  // The penalties step alone (exposed for tests).
  void apply_penalties(std::span<float> logits, std::span<const int32_t> history) const;

  // The tokens the penalties touch: each distinct token of the last penalty_last_n of
  // `history` with how often it occurs there (order unspecified). Empty when no penalty is on.
  std::vector<std::pair<int32_t, int>> penalized_tokens(std::span<const int32_t> history) const;
  bool has_penalties() const;

 private:
  SamplerParams params_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> candidates_;
};

// Index of the largest value (the first one on ties).
int32_t argmax(std::span<const float> logits);

}  // namespace pgpp::llm
