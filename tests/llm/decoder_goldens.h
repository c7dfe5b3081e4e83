#pragma once
// The reference outputs written by tests/reference/make_decoder_goldens.py
// (tests/data/decoder/smollm2_goldens.json), for the decoder tests.
#include <cstdint>
#include <string>
#include <vector>

namespace pgpp::test {

struct GoldenPosition {
  std::vector<int32_t> top_ids;
  std::vector<double> top_logits;
  double max = 0, min = 0, mean = 0, std = 0;
};

struct GoldenPrompt {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<GoldenPosition> positions;
  std::vector<int32_t> greedy;
  std::vector<double> greedy_margins;  // top-1 minus top-2 logit at each greedy step
};

std::vector<GoldenPrompt> load_decoder_goldens();

}  // namespace pgpp::test
