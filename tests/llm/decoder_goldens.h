#pragma once
// The reference outputs written by tests/reference/make_decoder_goldens.py
// (tests/data/decoder/smollm2_goldens.json and smollm2_final_logits.f32), for the decoder tests.
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernels/error.h"

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

inline std::vector<GoldenPrompt> load_decoder_goldens() {
  const std::string path = std::string(PGPP_TEST_DATA_DIR) + "/decoder/smollm2_goldens.json";
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open");
  const auto j = nlohmann::json::parse(in);
  std::vector<GoldenPrompt> out;
  for (const auto& p : j.at("prompts")) {
    GoldenPrompt g;
    g.text = p.at("text");
    g.ids = p.at("ids").get<std::vector<int32_t>>();
    for (const auto& q : p.at("positions")) {
      GoldenPosition gp;
      gp.top_ids = q.at("top_ids").get<std::vector<int32_t>>();
      gp.top_logits = q.at("top_logits").get<std::vector<double>>();
      gp.max = q.at("max");
      gp.min = q.at("min");
      gp.mean = q.at("mean");
      gp.std = q.at("std");
      g.positions.push_back(std::move(gp));
    }
    g.greedy = p.at("greedy").get<std::vector<int32_t>>();
    g.greedy_margins = p.at("greedy_margins").get<std::vector<double>>();
    out.push_back(std::move(g));
  }
  return out;
}

// Each golden prompt's full logit row at its last position (tests/data/decoder/
// smollm2_final_logits.f32: little-endian float32, n_vocab per prompt, prompts in order).
inline std::vector<std::vector<float>> load_decoder_final_logits(std::size_t n_prompts,
                                                                 std::size_t n_vocab) {
  const std::string path = std::string(PGPP_TEST_DATA_DIR) + "/decoder/smollm2_final_logits.f32";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  std::vector<std::vector<float>> out(n_prompts, std::vector<float>(n_vocab));
  for (auto& row : out) {
    if (!in.read(reinterpret_cast<char*>(row.data()),
                 static_cast<std::streamsize>(n_vocab * sizeof(float)))) {
      throw Error(path + ": shorter than " + std::to_string(n_prompts) + " rows of " +
                  std::to_string(n_vocab));
    }
  }
  return out;
}

}  // namespace pgpp::test
