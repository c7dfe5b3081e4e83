#pragma once
// The reference outputs written by tests/reference/make_decoder_goldens.py
// (tests/data/decoder/smollm2_goldens.json), for the decoder tests.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
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

}  // namespace pgpp::test
