#include "llm/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace pgpp::llm {

int32_t argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

Sampler::Sampler(SamplerParams params) : params_(params), rng_(params.seed) {}

bool Sampler::has_penalties() const {
  const SamplerParams& p = params_;
  return p.penalty_last_n != 0 &&
         (p.repeat_penalty != 1.0f || p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f);
}

std::vector<std::pair<int32_t, int>> Sampler::penalized_tokens(
    std::span<const int32_t> history) const {
  const SamplerParams& p = params_;
  if (!has_penalties() || history.empty()) return {};
  std::size_t n = history.size();
  if (p.penalty_last_n > 0) n = std::min(n, static_cast<std::size_t>(p.penalty_last_n));
  std::unordered_map<int32_t, int> counts;
  for (std::size_t i = history.size() - n; i < history.size(); ++i) ++counts[history[i]];
  return {counts.begin(), counts.end()};
}

void Sampler::apply_penalties(std::span<float> logits, std::span<const int32_t> history) const {
  const SamplerParams& p = params_;
  for (const auto& [id, count] : penalized_tokens(history)) {
    if (id < 0 || static_cast<std::size_t>(id) >= logits.size()) continue;
    float& l = logits[static_cast<std::size_t>(id)];
    if (p.repeat_penalty != 1.0f) l = l > 0 ? l / p.repeat_penalty : l * p.repeat_penalty;
    l -= p.presence_penalty + p.frequency_penalty * static_cast<float>(count);
  }
}

int32_t Sampler::sample(std::span<float> logits, std::span<const int32_t> history) {
  apply_penalties(logits, history);
  const SamplerParams& p = params_;
  if (p.temperature <= 0.0f) return argmax(logits);

  candidates_.clear();
  candidates_.reserve(logits.size());
  for (std::size_t i = 0; i < logits.size(); ++i)
    candidates_.emplace_back(logits[i], static_cast<int32_t>(i));
  auto by_logit = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  std::size_t n = candidates_.size();
  if (p.top_k > 0 && static_cast<std::size_t>(p.top_k) < n) {
    n = static_cast<std::size_t>(p.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(n),
                      candidates_.end(), by_logit);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }
  candidates_.resize(n);

  // Softmax with temperature (in double: a few thousand terms at most after top-k).
  std::vector<double> probs(n);
  const double max = candidates_[0].first;
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    probs[i] = std::exp((candidates_[i].first - max) / p.temperature);
    sum += probs[i];
  }
  for (double& q : probs) q /= sum;

  // top-p: the smallest prefix whose mass reaches top_p (at least one token).
  if (p.top_p < 1.0f) {
    double mass = 0;
    std::size_t keep = 0;
    while (keep < n) {
      mass += probs[keep++];
      if (mass >= p.top_p) break;
    }
    n = keep;
  }
  // min-p: tokens at least min_p times as likely as the best one.
  if (p.min_p > 0.0f) {
    const double floor = p.min_p * probs[0];
    std::size_t keep = 1;
    while (keep < n && probs[keep] >= floor) ++keep;
    n = keep;
  }
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) total += probs[i];
  // A uniform draw from the generator's raw bits (std::uniform_real_distribution's output is
  // not specified across standard libraries; this keeps seeds portable).
  const double r = static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0) * total;
  double acc = 0;
  for (std::size_t i = 0; i < n; ++i) {
    acc += probs[i];
    if (r < acc) return candidates_[i].second;
  }
  return candidates_[n - 1].second;
}

}  // namespace pgpp::llm
