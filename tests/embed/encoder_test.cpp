// The encoder against the reference (sentence-transformers on PyTorch, via
// tests/reference/make_encoder_goldens.py): 110 texts, every embedding within cosine 0.9999,
// on every SIMD level; plus bad input (empty, 1 MB, invalid UTF-8), batching and threads.
#include "embed/encoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "embed/sha256.h"
#include "kernels/cuda/cuda_device.h"
#include "kernels/error.h"
#include "tests/common/test_models.h"
#include "tests/embed/encoder_goldens.h"
#include "tests/kernels/simd_levels.h"

namespace pgpp::embed {
namespace {

using test_goldens::cosine;
using test_goldens::goldens;

void expect_matches_goldens(const std::vector<float>& got, const std::string& what) {
  const auto& g = goldens();
  ASSERT_EQ(got.size(), g.vectors.size()) << what;
  double worst = 1;
  for (std::size_t i = 0; i < g.texts.size(); ++i) {
    const double c = cosine(got.data() + i * g.dim, g.vectors.data() + i * g.dim, g.dim);
    worst = std::min(worst, c);
    EXPECT_GE(c, 0.9999) << what << ": text " << i << ": " << g.texts[i].substr(0, 80);
  }
  testing::Test::RecordProperty("worst_cosine_" + what, std::to_string(worst));
  std::printf("%s: worst cosine to the reference %.7f over %zu texts\n", what.c_str(), worst, g.texts.size());
}

TEST(Encoder, EmbeddingsMatchReferenceOnAllTexts) {
  ASSERT_GE(goldens().texts.size(), 100u);
  kernels::CpuBackend cpu(2);
  Encoder enc(test::default_encoder(), cpu);
  ASSERT_EQ(enc.dimension(), goldens().dim);
  expect_matches_goldens(enc.embed(goldens().texts), "all texts, " + std::string(kernels::simd_level_name(cpu.simd())));
}

TEST(Encoder, EmbeddingsMatchReferenceOnEverySimdLevel) {
  // The first 30 texts (short and long, several scripts) on each level; all texts above.
  const auto& g = goldens();
  const std::vector<std::string> texts(g.texts.begin(), g.texts.begin() + 30);
  for (const auto level : test::simd_levels_here()) {
    kernels::CpuBackend cpu(2, level);
    Encoder enc(test::default_encoder(), cpu);
    const auto got = enc.embed(texts);
    for (std::size_t i = 0; i < texts.size(); ++i) {
      EXPECT_GE(cosine(got.data() + i * g.dim, g.vectors.data() + i * g.dim, g.dim), 0.9999)
          << kernels::simd_level_name(level) << ": text " << i;
    }
  }
}

TEST(Encoder, FactsOfTheDefaultModel) {
  kernels::CpuBackend cpu(1);
  Encoder enc(test::default_encoder(), cpu);
  EXPECT_EQ(enc.dimension(), 384);
  EXPECT_EQ(enc.max_tokens(), 256);  // sentence_bert_config.json max_seq_length
  EXPECT_EQ(enc.pooling(), Pooling::Mean);
  EXPECT_TRUE(enc.normalizes());
  EXPECT_EQ(enc.count_tokens("Hello, world!"), 6);  // [CLS] hello , world ! [SEP]
  EXPECT_EQ(enc.identity(), "all-minilm-l6-v2@sha256:" + sha256_file_hex(test::default_encoder() / "model.safetensors"));
}

TEST(Encoder, Sha256OfKnownVectors) {
  EXPECT_EQ(sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(sha256_hex(two_blocks.data(), two_blocks.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Encoder, BatchSizeAndThreadsDoNotChangeResults) {
  const auto& g = goldens();
  const std::vector<std::string> texts(g.texts.begin(), g.texts.begin() + 40);
  kernels::CpuBackend one(1);
  Encoder a(test::default_encoder(), one);
  a.set_batch_size(1);
  const auto va = a.embed(texts);
  kernels::CpuBackend three(3);
  Encoder b(test::default_encoder(), three);
  b.set_batch_size(7);
  const auto vb = b.embed(texts);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_GE(cosine(va.data() + i * g.dim, vb.data() + i * g.dim, g.dim), 0.99999) << texts[i];
  }
}

TEST(Encoder, BadInputEmptyHugeAndInvalidUtf8) {
  kernels::CpuBackend cpu(2);
  Encoder enc(test::default_encoder(), cpu);
  EXPECT_TRUE(enc.embed({}).empty());
  std::string huge;
  while (huge.size() < (1u << 20)) huge += "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ";
  const auto r = enc.embed_detailed({"", huge, "caf\xC3 \xFF\xFE ok\xF0\x9F"});
  ASSERT_EQ(r.vectors.size(), 3u * 384);
  EXPECT_FALSE(r.truncated[0]);
  EXPECT_EQ(r.tokens[0], 2);
  EXPECT_TRUE(r.truncated[1]);
  EXPECT_EQ(r.tokens[1], enc.max_tokens());
  EXPECT_FALSE(r.truncated[2]);
  for (int i = 0; i < 3; ++i) {
    double norm = 0;
    for (int c = 0; c < 384; ++c) {
      ASSERT_TRUE(std::isfinite(r.vectors[i * 384 + c]));
      norm += double(r.vectors[i * 384 + c]) * r.vectors[i * 384 + c];
    }
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-5);
  }
  // The empty text embeds like the reference's empty string (golden 0).
  EXPECT_GE(cosine(r.vectors.data(), goldens().vectors.data(), 384), 0.9999);
  // Invalid bytes are replaced (and dropped by BERT's clean-up): same as the text without them.
  const auto clean = enc.embed({"caf  ok"});
  EXPECT_GE(cosine(r.vectors.data() + 2 * 384, clean.data(), 384), 0.99999);
}

TEST(Encoder, ProgressReportsAndCancels) {
  kernels::CpuBackend cpu(2);
  Encoder enc(test::default_encoder(), cpu);
  enc.set_batch_size(4);
  const std::vector<std::string> texts(10, "a short passage");
  std::vector<std::size_t> seen;
  enc.embed(texts, [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(total, 10u);
    seen.push_back(done);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<std::size_t>{4, 8, 10}));
  EXPECT_THROW(enc.embed(texts, [](std::size_t done, std::size_t) { return done < 4; }), Cancelled);
}

TEST(Encoder, ConcurrentCallsAreSerializedAndCorrect) {
  kernels::CpuBackend cpu(2);
  Encoder enc(test::default_encoder(), cpu);
  const auto& g = goldens();
  std::vector<std::vector<float>> out(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] { out[i] = enc.embed({g.texts[3 + i], g.texts[10 + i]}); });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 3; ++i) {
    EXPECT_GE(cosine(out[i].data(), g.vectors.data() + (3 + i) * g.dim, g.dim), 0.9999);
    EXPECT_GE(cosine(out[i].data() + g.dim, g.vectors.data() + (10 + i) * g.dim, g.dim), 0.9999);
  }
}

TEST(Encoder, MissingFolderIsAnError) {
  kernels::CpuBackend cpu(1);
  const auto dir = test::make_temp_dir("no_encoder");  // empty: no model files in it
  EXPECT_THROW(Encoder(dir, cpu), Error);
  std::filesystem::remove_all(dir);
}

TEST(Encoder, DeviceChoiceIsCpuByDefaultAndCudaOnlyWhereAGpuIs) {
  kernels::CpuBackend cpu(2);
  EXPECT_EQ(Encoder(test::default_encoder(), cpu).device(), kernels::Device::Cpu);
  const auto gpu = kernels::cuda::probe_cuda_device();
  Encoder automatic(test::default_encoder(), cpu, kernels::Device::Auto);
  EXPECT_EQ(automatic.device(), gpu.available ? kernels::Device::Cuda : kernels::Device::Cpu)
      << automatic.device_reason();
  if (gpu.available) return;  // encoder_cuda_gpu_test.cpp checks the GPU's vectors
  try {
    Encoder insisting(test::default_encoder(), cpu, kernels::Device::Cuda);
    FAIL() << "--device cuda was accepted without a usable GPU";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(gpu.reason), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pgpp::embed
