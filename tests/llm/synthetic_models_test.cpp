// Synthetic models in the real widths of Llama-3.2-1B and Qwen2.5-0.5B (two layers deep, random
// weights, the real tokenizers): what pgpp bench decoder measures must load and run like the
// published files would — GQA with 4 and 7 query heads per KV head, QKV biases, Llama 3 RoPE
// frequency factors, tied embeddings, vocabularies of 128256 and 151936 tokens, and llama.cpp's
// Q4_0 and Q4_K_M tensor mixes (with the Q5_0/Q8_0 fallback for 896-wide rows).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numeric>

#include "kernels/error.h"
#include "llm/chat_template.h"
#include "llm/llama_model.h"
#include "llm/session.h"
#include "llm/tokenizer.h"
#include "tests/common/test_models.h"
#include "tests/tools/synthetic_gguf.h"

namespace pgpp::test {

namespace {

struct Case {
  std::string preset;
  std::string quant;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string s = info.param.preset + "_" + info.param.quant;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

double norm(const float* x, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return std::sqrt(s);
}

class SyntheticModelTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("synthetic");
    spec_ = synthetic_model_spec(GetParam().preset);
    path_ = dir_ / (GetParam().preset + "-" + GetParam().quant + ".gguf");
    write_synthetic_gguf(spec_, {.quant = GetParam().quant, .n_layer = 2}, path_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void check_shapes_and_mix(const llm::LlamaModel& model);
  void check_tokenizer(const llm::LlamaModel& model);
  void check_forward(const llm::LlamaModel& model);
  kernels::DType type_of(const llm::LlamaModel& m, const std::string& name) const {
    return m.file().tensor(name).type;
  }

  std::filesystem::path dir_;
  std::filesystem::path path_;
  SyntheticModelSpec spec_;
};

// One test per model and mix (CTest runs each test in its own process, and writing the file is
// most of the time): shapes and tensor mix, tokenizer and chat format, forward pass and cache.
TEST_P(SyntheticModelTest, LoadsTokenizesAndRuns) {
  const auto model = llm::LlamaModel::load(path_);
  check_shapes_and_mix(*model);
  check_tokenizer(*model);
  check_forward(*model);
}

void SyntheticModelTest::check_shapes_and_mix(const llm::LlamaModel& m) {
  const llm::LlamaModel* model = &m;
  const auto& hp = model->hparams();
  EXPECT_EQ(hp.architecture, spec_.architecture);
  EXPECT_EQ(hp.n_layer, 2);
  EXPECT_EQ(hp.n_embd, spec_.n_embd);
  EXPECT_EQ(hp.n_ff, spec_.n_ff);
  EXPECT_EQ(hp.n_head, spec_.n_head);
  EXPECT_EQ(hp.n_head_kv, spec_.n_head_kv);
  EXPECT_EQ(hp.head_dim, spec_.n_embd / spec_.n_head);  // 64, or 128 for 8B
  EXPECT_EQ(hp.n_vocab, spec_.n_vocab);
  EXPECT_DOUBLE_EQ(hp.rope_base, spec_.rope_theta);
  EXPECT_EQ(model->file().find_tensor("output.weight") == nullptr, spec_.tied_embeddings);
  EXPECT_EQ(model->file().find_tensor("blk.0.attn_q.bias") != nullptr, spec_.qkv_bias);

  using kernels::DType;
  const bool qwen = spec_.architecture == "qwen2";
  // The output matrix (the embedding, where tied) is Q6_K, or Q8_0 where rows are not whole
  // super-blocks; an untied embedding takes the mix's base type.
  EXPECT_EQ(type_of(*model, spec_.tied_embeddings ? "token_embd.weight" : "output.weight"),
            qwen ? DType::Q8_0 : DType::Q6_K);
  if (!spec_.tied_embeddings)
    EXPECT_EQ(type_of(*model, "token_embd.weight"), GetParam().quant == "q4_0" ? DType::Q4_0 : DType::Q4_K);
  if (GetParam().quant == "q4_0") {
    EXPECT_EQ(type_of(*model, "blk.1.ffn_down.weight"), DType::Q4_0);
    EXPECT_EQ(type_of(*model, "blk.0.attn_q.weight"), DType::Q4_0);
  } else {
    // Of two layers, use_more_bits picks the second for attn_v and ffn_down.
    EXPECT_EQ(type_of(*model, "blk.0.ffn_down.weight"), DType::Q4_K);
    EXPECT_EQ(type_of(*model, "blk.1.ffn_down.weight"), DType::Q6_K);
    EXPECT_EQ(type_of(*model, "blk.0.attn_q.weight"), qwen ? DType::Q5_0 : DType::Q4_K);
    EXPECT_EQ(type_of(*model, "blk.1.attn_v.weight"), qwen ? DType::Q8_0 : DType::Q6_K);
  }
  if (!qwen) {
    // Llama 3's frequency factors: the highest frequencies untouched, the lowest slowed by the
    // scaling factor (32 for 3.2-1B, 8 for 3.1-8B).
    const auto& rf = model->file().tensor("rope_freqs.weight");
    ASSERT_EQ(rf.ne[0], hp.head_dim / 2);
    const auto* f = reinterpret_cast<const float*>(rf.data);
    EXPECT_FLOAT_EQ(f[0], 1.0f);
    EXPECT_FLOAT_EQ(f[rf.ne[0] - 1], static_cast<float>(spec_.rope_llama3_factor));
  }
}

void SyntheticModelTest::check_tokenizer(const llm::LlamaModel& model) {
  const auto tok = llm::Tokenizer::from_gguf(model.file());
  EXPECT_EQ(tok->vocab_size(), spec_.n_vocab);
  const std::string text = "Grounded answers cite page 12 of policy.pdf.";
  const auto ids = tok->encode(text, false, false);
  EXPECT_LT(ids.size(), 20u);  // a real BPE vocabulary, not bytes
  EXPECT_EQ(tok->decode(ids), text);
  const auto tmpl = llm::ChatTemplate::from_gguf(model.file());
  EXPECT_EQ(tmpl.format(),
            spec_.architecture == "qwen2" ? llm::ChatFormat::ChatML : llm::ChatFormat::Llama3);
}

// The forward pass gives finite logits of about the designed spread (random weights scaled to
// keep activations at unit size), and the KV cache gives one token at a time what a batch gives.
void SyntheticModelTest::check_forward(const llm::LlamaModel& m) {
  const llm::LlamaModel* model = &m;
  kernels::CpuBackend cpu(2);
  const std::vector<int32_t> prompt = {1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000};
  auto batch_cache = model->make_cache(64);
  std::vector<float> batch;
  model->forward(cpu, batch_cache, prompt, true, batch);
  const auto V = static_cast<std::size_t>(spec_.n_vocab);
  ASSERT_EQ(batch.size(), prompt.size() * V);
  for (float x : batch) ASSERT_TRUE(std::isfinite(x));
  const double rms =
      norm(batch.data(), batch.size()) / std::sqrt(static_cast<double>(batch.size()));
  EXPECT_GT(rms, 0.1);
  EXPECT_LT(rms, 30.0);

  auto step_cache = model->make_cache(64);
  std::vector<float> step;
  for (std::size_t t = 0; t < prompt.size(); ++t) {
    model->forward(cpu, step_cache, {prompt[t]}, false, step);
    const float* ref = batch.data() + t * V;
    std::vector<float> diff(V);
    for (std::size_t i = 0; i < V; ++i) diff[i] = step[i] - ref[i];
    // Batched and single-token products may round the 8-bit activations differently. Where a
    // hidden state has an outlier (Qwen shapes, Q4_0, position 2: the 8-bit path is 40 % off the
    // float path there, on every SIMD level, and batch and single differ by 5e-2) that is
    // amplified; the float path agrees to 3e-5. A cache that keeps the wrong rows is off by ~1.
    EXPECT_LT(norm(diff.data(), V) / norm(ref, V), 0.1) << "position " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(RealWidths, SyntheticModelTest,
                         ::testing::Values(Case{"llama-3.2-1b", "q4_0"},
                                           Case{"llama-3.2-1b", "q4_k_m"},
                                           Case{"llama-3.1-8b", "q4_0"},
                                           Case{"qwen2.5-0.5b", "q4_0"},
                                           Case{"qwen2.5-0.5b", "q4_k_m"}),
                         case_name);

TEST(SyntheticModelWriter, NamesAMissingVocabFile) {
  const auto dir = make_temp_dir("synthetic_missing");
  try {
    write_synthetic_gguf(synthetic_model_spec("qwen2.5-0.5b"), {.n_layer = 1, .vocab_dir = dir},
                         dir / "x.gguf");
    ADD_FAILURE() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("ggml-vocab-qwen2.gguf"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace

}  // namespace pgpp::test
