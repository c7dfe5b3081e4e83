// The encoder loaded from GGUF: the installed all-MiniLM-L6-v2 converted with our writer in
// llama.cpp's BERT layout (tests/common/bert_gguf_converter) must embed like the reference
// (sentence-transformers, tests/data/encoder/): cosine >= 0.9999 in F32 and F16, >= 0.998 in
// Q8_0 on all 110 texts. A real vocabulary-only GGUF from llama.cpp (bge, the same
// bert-base-uncased vocabulary) must tokenize like HF tokenizers. Broken files get errors
// naming the file and what is wrong.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "app/model_locations.h"
#include "embed/encoder.h"
#include "embed/encoder_facts.h"
#include "embed/sha256.h"
#include "kernels/error.h"
#include "kernels/gguf_file.h"
#include "tests/common/bert_gguf_converter.h"
#include "tests/common/test_models.h"
#include "tests/embed/encoder_goldens.h"

namespace pgpp::embed {
namespace {

namespace fs = std::filesystem;

using test_goldens::cosine;
using test_goldens::goldens;

// A temporary folder for this process's converted files, removed at exit.
const fs::path& work_dir() {
  static const struct Dir {
    fs::path path = test::make_temp_dir("encoder_gguf");
    ~Dir() { fs::remove_all(path); }
  } dir;
  return dir.path;
}

// The default encoder converted once per process and type.
fs::path converted(kernels::DType type) {
  static std::map<kernels::DType, fs::path> done;
  if (auto it = done.find(type); it != done.end()) return it->second;
  const fs::path out =
      work_dir() / ("all-minilm-l6-v2." + std::string(kernels::dtype_name(type)) + ".gguf");
  test::BertGgufOptions o;
  o.matrices = type;
  test::write_bert_gguf(test::default_encoder(), out, o);
  return done[type] = out;
}

fs::path forged(const std::string& tag, const test::BertGgufOptions& o) {
  const fs::path out = work_dir() / (tag + ".gguf");
  test::write_bert_gguf(test::default_encoder(), out, o);
  return out;
}

// Embeds every golden text with the model and checks each against the reference.
void expect_matches_goldens(const fs::path& model, double bound, const std::string& what) {
  const auto& g = goldens();
  kernels::CpuBackend cpu(2);
  Encoder enc(model, cpu);
  ASSERT_EQ(enc.dimension(), g.dim);
  // GGUF carries bert.context_length (512), not sentence-transformers' max_seq_length (256).
  EXPECT_EQ(enc.max_tokens(), 512);
  enc.set_max_tokens(g.max_tokens);
  ASSERT_EQ(enc.max_tokens(), g.max_tokens);
  const auto got = enc.embed(g.texts);
  ASSERT_EQ(got.size(), g.vectors.size());
  double worst = 1;
  for (std::size_t i = 0; i < g.texts.size(); ++i) {
    const double c = cosine(got.data() + i * g.dim, g.vectors.data() + i * g.dim, g.dim);
    worst = std::min(worst, c);
    EXPECT_GE(c, bound) << what << ": text " << i << ": " << g.texts[i].substr(0, 80);
  }
  testing::Test::RecordProperty("worst_cosine_" + what, std::to_string(worst));
  std::printf("%s: worst cosine to the reference %.7f over %zu texts\n", what.c_str(), worst,
              g.texts.size());
}

std::string load_error(const fs::path& model) {
  kernels::CpuBackend cpu(1);
  try {
    Encoder enc(model, cpu);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << model << " loaded, but it is broken";
  return {};
}

TEST(EncoderGguf, F32EmbeddingsMatchReferenceOnAllTexts) {
  expect_matches_goldens(converted(kernels::DType::F32), 0.9999, "GGUF F32");
}

TEST(EncoderGguf, F16EmbeddingsMatchReferenceOnAllTexts) {
  // F16 weights keep 11 significant bits; measured worst cosine 0.999999, bound 0.9999.
  expect_matches_goldens(converted(kernels::DType::F16), 0.9999, "GGUF F16");
}

TEST(EncoderGguf, Q8_0EmbeddingsStayCloseToReference) {
  // 8-bit blocks of 32 weights; measured worst cosine 0.99946, bound 0.998.
  expect_matches_goldens(converted(kernels::DType::Q8_0), 0.998, "GGUF Q8_0");
}

TEST(EncoderGguf, FactsPoolingAndIdentity) {
  kernels::CpuBackend cpu(1);
  const fs::path f32 = converted(kernels::DType::F32), f16 = converted(kernels::DType::F16);
  Encoder a(f32, cpu), b(f16, cpu);
  EXPECT_EQ(a.pooling(), Pooling::Mean);
  EXPECT_TRUE(a.normalizes());
  EXPECT_TRUE(a.tokenizer().lowercases());
  EXPECT_EQ(a.count_tokens("Hello, world!"), 6);  // [CLS] hello , world ! [SEP]
  EXPECT_EQ(a.identity(), "all-minilm-l6-v2.F32@sha256:" + sha256_file_hex(f32));
  EXPECT_EQ(b.identity(), "all-minilm-l6-v2.F16@sha256:" + sha256_file_hex(f16));
  EXPECT_NE(a.identity(), b.identity());

  const auto facts = read_encoder_facts(f16);
  EXPECT_EQ(facts.format, "GGUF");
  EXPECT_EQ(facts.architecture, "bert");
  EXPECT_EQ(facts.name, "all-minilm-l6-v2");
  EXPECT_EQ(facts.layers, 6);
  EXPECT_EQ(facts.hidden, 384);
  EXPECT_EQ(facts.heads, 12);
  EXPECT_EQ(facts.vocab_size, 30522);
  EXPECT_EQ(facts.max_tokens, 512);
  EXPECT_EQ(facts.pooling, "mean");
  EXPECT_EQ(facts.weights_type, "F16");
  // The folder's parameters less what the converter drops, as llama.cpp's does: the unused
  // pooler (384 x 384 + 384) and position_ids (512).
  EXPECT_EQ(facts.parameters,
            read_encoder_facts(test::default_encoder()).parameters - (384 * 384 + 384) - 512);
}

TEST(EncoderGguf, ClsPoolingFromTheFileIsUsed) {
  // The same weights marked CLS-pooled: the vector is the [CLS] token's final hidden state,
  // not the mean, so it differs from the mean-pooled one.
  test::BertGgufOptions o;
  o.pooling_type = 2;
  const fs::path cls = forged("cls", o);
  kernels::CpuBackend cpu(2);
  Encoder enc(cls, cpu), mean(converted(kernels::DType::F32), cpu);
  EXPECT_EQ(enc.pooling(), Pooling::Cls);
  const auto a = enc.embed({"The cat sat on the mat."}),
             b = mean.embed({"The cat sat on the mat."});
  EXPECT_LT(cosine(a.data(), b.data(), 384), 0.99);
}

// Token ids and byte spans against HF tokenizers (the 317 strings of tokens.jsonl).
void expect_tokenizer_matches_goldens(const WordPieceTokenizer& t, const std::string& what) {
  std::ifstream in(std::string(PGPP_TEST_DATA_DIR) + "/encoder/tokens.jsonl");
  ASSERT_TRUE(in) << "tests/data/encoder/tokens.jsonl missing";
  int n = 0, mismatched = 0;
  for (std::string line; std::getline(in, line); ++n) {
    const auto j = nlohmann::json::parse(line);
    const auto got = t.encode(j["text"].get<std::string>(), goldens().max_tokens);
    const auto ids = j["ids"].get<std::vector<int32_t>>();
    if (got.ids != ids) {
      ++mismatched;
      ADD_FAILURE() << what << ": ids differ for " << j["text"];
      continue;
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      EXPECT_EQ(got.spans[i].begin, j["offsets"][i][0].get<uint32_t>())
          << what << ": " << j["text"];
      EXPECT_EQ(got.spans[i].end, j["offsets"][i][1].get<uint32_t>()) << what << ": " << j["text"];
    }
  }
  EXPECT_GE(n, 300);
  EXPECT_EQ(mismatched, 0) << what;
}

TEST(EncoderGguf, VocabularyFromConvertedFileTokenizesLikeReference) {
  test::BertGgufOptions o;
  o.vocabulary_only = true;
  const kernels::GgufFile file(forged("vocab", o));
  expect_tokenizer_matches_goldens(WordPieceTokenizer::from_gguf(file), "converted vocabulary");
}

TEST(EncoderGguf, RealBgeVocabularyFromLlamaCppTokenizesLikeReference) {
  // llama.cpp's models/ggml-vocab-bert-bge.gguf (installed by packaging/setup.sh from the
  // llama-cpp-python source archive) holds bert-base-uncased's 30522 pieces, as MiniLM does,
  // written by an older converter (bracketed tokens such as [unused0] kept without U+2581).
  const fs::path p = app::models_dir() / "llama-vocabs" / "ggml-vocab-bert-bge.gguf";
  ASSERT_TRUE(fs::exists(p))
      << p << " is missing. Run packaging/setup.sh (or set PGPP_MODELS) before the tests.";
  const kernels::GgufFile file(p);
  const auto t = WordPieceTokenizer::from_gguf(file);
  const auto reference = WordPieceTokenizer::from_folder(test::default_encoder());
  ASSERT_EQ(t.vocab_size(), reference.vocab_size());
  for (int32_t id = 0; id < t.vocab_size(); ++id)
    ASSERT_EQ(t.piece(id), reference.piece(id)) << "id " << id;
  EXPECT_TRUE(t.lowercases());
  EXPECT_EQ(t.cls_id(), 101);
  EXPECT_EQ(t.sep_id(), 102);
  EXPECT_EQ(t.unk_id(), 100);
  expect_tokenizer_matches_goldens(t, "ggml-vocab-bert-bge.gguf");

  // Vocabulary only: its facts are readable, but it cannot embed.
  const auto facts = read_encoder_facts(p);
  EXPECT_EQ(facts.parameters, 0);
  EXPECT_EQ(facts.weights_type, "none (vocabulary only)");
  EXPECT_EQ(facts.pooling, "mean (assumed)");
  const std::string e = load_error(p);
  EXPECT_NE(e.find("ggml-vocab-bert-bge.gguf: tensor token_embd.weight is missing"),
            std::string::npos)
      << e;
}

TEST(EncoderGguf, MissingTensorIsNamed) {
  test::BertGgufOptions o;
  o.matrices = kernels::DType::F16;
  o.leave_out = "blk.3.ffn_up.weight";
  const std::string e = load_error(forged("missing", o));
  EXPECT_NE(e.find("missing.gguf: tensor blk.3.ffn_up.weight is missing"), std::string::npos) << e;
}

TEST(EncoderGguf, WrongShapeIsNamed) {
  test::BertGgufOptions o;
  o.matrices = kernels::DType::F16;
  o.wrong_shape = "blk.0.attn_q.weight";
  std::string e = load_error(forged("shape", o));
  EXPECT_NE(
      e.find("shape.gguf: tensor blk.0.attn_q.weight has shape [384, 383], expected [384, 384]"),
      std::string::npos)
      << e;
  o.wrong_shape = "blk.5.layer_output_norm.bias";
  e = load_error(forged("shape_bias", o));
  EXPECT_NE(e.find("shape_bias.gguf: tensor blk.5.layer_output_norm.bias has shape"),
            std::string::npos)
      << e;
}

TEST(EncoderGguf, UnsupportedPoolingIsRefused) {
  test::BertGgufOptions o;
  o.vocabulary_only = true;
  o.pooling_type = 4;  // rank: a reranker's score, not a vector
  std::string e = load_error(forged("rank", o));
  EXPECT_NE(
      e.find("rank.gguf: bert.pooling_type 4 is not supported (1 = mean or 2 = CLS expected)"),
      std::string::npos)
      << e;
  o.pooling_type = 0;  // none: a vector per token
  e = load_error(forged("none", o));
  EXPECT_NE(e.find("none.gguf: bert.pooling_type 0 is not supported"), std::string::npos) << e;
}

TEST(EncoderGguf, OtherArchitecturesAndVocabulariesAreRefused) {
  test::BertGgufOptions o;
  o.vocabulary_only = true;
  o.architecture = "nomic-bert";
  std::string e = load_error(forged("nomic", o));
  EXPECT_NE(e.find("nomic.gguf: architecture 'nomic-bert' is not supported as an encoder"),
            std::string::npos)
      << e;

  e = load_error(test::default_decoder());
  EXPECT_NE(
      e.find(
          "SmolLM2-135M-Instruct.Q4_1.gguf: architecture 'llama' is not supported as an encoder"),
      std::string::npos)
      << e;

  o.architecture = "bert";
  o.tokenizer_model = "gpt2";
  e = load_error(forged("bpe", o));
  EXPECT_NE(
      e.find("bpe.gguf: tokenizer.ggml.model is 'gpt2'; an encoder needs a WordPiece vocabulary"),
      std::string::npos)
      << e;
}

TEST(EncoderGguf, TruncatedOrMissingFileIsAnError) {
  const fs::path good = converted(kernels::DType::F16);
  const fs::path cut = work_dir() / "cut.gguf";
  fs::copy_file(good, cut, fs::copy_options::overwrite_existing);
  fs::resize_file(cut, fs::file_size(good) / 2);
  std::string e = load_error(cut);
  EXPECT_NE(e.find("cut.gguf"), std::string::npos) << e;
  e = load_error(work_dir() / "absent.gguf");
  EXPECT_NE(e.find("absent.gguf: no such encoder folder or GGUF file"), std::string::npos) << e;
}

}  // namespace
}  // namespace pgpp::embed
