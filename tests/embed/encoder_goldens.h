#pragma once
// The reference embeddings (sentence-transformers, tests/reference/make_encoder_goldens.py) that
// every way of loading the encoder must reproduce, and the cosine they are compared by.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pgpp::embed::test_goldens {

struct Goldens {
  std::vector<std::string> texts;
  std::vector<float> vectors;  // texts x dim
  int dim = 0;
  int max_tokens = 0;
};

inline const Goldens& goldens() {
  static const Goldens g = [] {
    Goldens out;
    const std::string dir = std::string(PGPP_TEST_DATA_DIR) + "/encoder/";
    std::ifstream texts(dir + "embed_texts.json");
    out.texts = nlohmann::json::parse(texts).get<std::vector<std::string>>();
    std::ifstream meta_file(dir + "embed_meta.json");
    const auto meta = nlohmann::json::parse(meta_file);
    out.dim = meta.at("dim");
    out.max_tokens = meta.at("max_tokens");
    std::ifstream bin(dir + "embeddings.f32", std::ios::binary);
    out.vectors.resize(out.texts.size() * static_cast<std::size_t>(out.dim));
    bin.read(reinterpret_cast<char*>(out.vectors.data()),
             static_cast<std::streamsize>(out.vectors.size() * 4));
    EXPECT_TRUE(bin) << "tests/data/encoder/embeddings.f32 is short";
    return out;
  }();
  return g;
}

inline double cosine(const float* a, const float* b, int n) {
  double ab = 0, aa = 0, bb = 0;
  for (int i = 0; i < n; ++i)
    ab += double(a[i]) * b[i], aa += double(a[i]) * a[i], bb += double(b[i]) * b[i];
  return ab / std::sqrt(aa * bb);
}

}  // namespace pgpp::embed::test_goldens
