// Token ids against the reference tokenizers (HF tokenizers / transformers, see
// tests/reference/make_tokenizer_goldens.py) on 330 varied strings per vocabulary, for the
// default model's byte-level BPE (SmolLM2), Llama 3's and Qwen2's byte-level BPE and Llama 2's
// SentencePiece vocabulary; plus round trips and streaming decoding of every string.
#include "llm/tokenizer.h"

#include <gtest/gtest.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

#include "app/model_locations.h"
#include "kernels/error.h"
#include "llm/bpe_tokenizer.h"
#include "llm/sentencepiece_tokenizer.h"
#include "llm/streaming_detokenizer.h"
#include "llm/unicode.h"
#include "tests/common/test_models.h"

namespace pgpp::llm {
namespace {

struct GoldenCase {
  std::string text;
  std::vector<int32_t> special;  // parse_special = true
  std::vector<int32_t> plain;    // parse_special = false
};

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

std::vector<int32_t> parse_ids(const std::string& s) {
  std::vector<int32_t> ids;
  std::istringstream in(s);
  int32_t v;
  while (in >> v) ids.push_back(v);
  return ids;
}

std::vector<GoldenCase> read_goldens(const std::string& name) {
  const std::string path = std::string(PGPP_TEST_DATA_DIR) + "/tokenizer/" + name + ".tsv";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "missing golden file " << path;
  std::vector<GoldenCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t t1 = line.find('\t');
    const std::size_t t2 = line.find('\t', t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos) {
      ADD_FAILURE() << path << ": bad line " << line;
      continue;
    }
    cases.push_back({from_hex(std::string_view(line).substr(0, t1)),
                     parse_ids(line.substr(t1 + 1, t2 - t1 - 1)), parse_ids(line.substr(t2 + 1))});
  }
  return cases;
}

std::filesystem::path vocab_path(const std::string& name) {
  if (name == "smollm2") return test::default_decoder();
  auto p = app::models_dir() / "llama-vocabs" / ("ggml-vocab-" + name + ".gguf");
  if (!std::filesystem::exists(p)) {
    ADD_FAILURE() << p
                  << " is missing. Run packaging/setup.sh (or set PGPP_MODELS) before the tests.";
  }
  return p;
}

std::string nfc(const std::string& s) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(status);
  std::string out;
  n->normalize(icu::UnicodeString::fromUTF8(s), status).toUTF8String(out);
  return out;
}

std::string show(const std::string& s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

class TokenizerGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerGolden, EncodesLikeTheReference) {
  const kernels::GgufFile file(vocab_path(GetParam()));
  const auto tok = Tokenizer::from_gguf(file);
  const auto cases = read_goldens(GetParam());
  ASSERT_GE(cases.size(), 300u);
  int bad = 0;
  for (const GoldenCase& c : cases) {
    EXPECT_EQ(tok->encode(c.text, false, true), c.special)
        << "parse_special, text: " << show(c.text);
    EXPECT_EQ(tok->encode(c.text, false, false), c.plain) << "plain, text: " << show(c.text);
    bad += tok->encode(c.text, false, true) != c.special;
  }
  EXPECT_EQ(bad, 0);
}

TEST_P(TokenizerGolden, DecodesBackToTheText) {
  const kernels::GgufFile file(vocab_path(GetParam()));
  const auto tok = Tokenizer::from_gguf(file);
  const bool normalizes = GetParam() == "qwen2";  // Qwen2 tokenizes the NFC form of the text
  for (const GoldenCase& c : read_goldens(GetParam())) {
    const std::string want = normalizes ? nfc(c.text) : c.text;
    EXPECT_EQ(tok->decode(c.special), want) << "text: " << show(c.text);
    EXPECT_EQ(tok->decode(c.plain), want) << "text: " << show(c.text);
    EXPECT_EQ(tok->decode(tok->encode(c.text, false, true)), want) << "text: " << show(c.text);
  }
}

TEST_P(TokenizerGolden, StreamsWholeCharactersOnly) {
  const kernels::GgufFile file(vocab_path(GetParam()));
  const auto tok = Tokenizer::from_gguf(file);
  for (const GoldenCase& c : read_goldens(GetParam())) {
    StreamingDetokenizer stream(*tok);
    std::string all;
    for (const int32_t id : c.special) {
      const std::string chunk = stream.push(id);
      EXPECT_TRUE(is_valid_utf8(chunk)) << "chunk " << show(chunk) << " of " << show(c.text);
      all += chunk;
    }
    all += stream.flush();
    EXPECT_EQ(all, tok->decode(c.special)) << "text: " << show(c.text);
  }
}

TEST_P(TokenizerGolden, PutsBosFirstWhenAsked) {
  const kernels::GgufFile file(vocab_path(GetParam()));
  const auto tok = Tokenizer::from_gguf(file);
  ASSERT_GE(tok->bos(), 0);
  for (const GoldenCase& c : read_goldens(GetParam())) {
    std::vector<int32_t> want{tok->bos()};
    want.insert(want.end(), c.special.begin(), c.special.end());
    EXPECT_EQ(tok->encode(c.text, true, true), want);
  }
}

// Any bytes at all come back unchanged where they are valid UTF-8 and as U+FFFD where not, and
// streaming them yields valid UTF-8 only.
TEST_P(TokenizerGolden, RoundTripsArbitraryBytes) {
  const kernels::GgufFile file(vocab_path(GetParam()));
  const auto tok = Tokenizer::from_gguf(file);
  const bool normalizes = GetParam() == "qwen2";  // Qwen2 tokenizes the NFC form of the text
  std::mt19937 rng(1234);
  const std::string pieces[] = {
      "a",    " ", "\n",           "\xC3", "\xA9", "\xE2\x82\xAC", "\xF0\x9F", "\x80",
      "\xFF", "1", "\xE4\xB8\xAD", "'s",   "\t",   "<|im_start|>", "<s>",      "\xED\xA0\x80"};
  for (int n = 0; n < 200; ++n) {
    std::string text;
    const int len = static_cast<int>(rng() % 30);
    for (int i = 0; i < len; ++i) text += pieces[rng() % std::size(pieces)];
    const auto ids = tok->encode(text, false, false);
    const std::string want = normalizes ? nfc(sanitize_utf8(text)) : sanitize_utf8(text);
    EXPECT_EQ(tok->decode(ids), want) << show(text);
    for (const int32_t id : ids) EXPECT_FALSE(tok->is_control(id)) << show(text);
    StreamingDetokenizer stream(*tok);
    for (const int32_t id : ids) EXPECT_TRUE(is_valid_utf8(stream.push(id))) << show(text);
    EXPECT_TRUE(is_valid_utf8(stream.flush()));
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabularies, TokenizerGolden,
                         ::testing::Values("smollm2", "llama-spm", "llama-bpe", "qwen2"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) ch = ch == '-' ? '_' : ch;
                           return n;
                         });

// llama.cpp's own test pairs for these vocabularies (made with each model's original HF
// tokenizer), installed beside them by the set-up script.
class LlamaCppPairs : public ::testing::TestWithParam<std::string> {};

TEST_P(LlamaCppPairs, EncodeLikeTheOriginalTokenizer) {
  const std::filesystem::path gguf = vocab_path(GetParam());
  const kernels::GgufFile file(gguf);
  const auto tok = Tokenizer::from_gguf(file);
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    EXPECT_TRUE(in.good()) << p << " is missing. Run packaging/setup.sh.";
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string inp = slurp(gguf.string() + ".inp");
  const std::string out = slurp(gguf.string() + ".out");
  constexpr std::string_view kSeparator = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (std::size_t pos = 0;;) {
    const std::size_t next = inp.find(kSeparator, pos);
    texts.push_back(inp.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    if (next == std::string::npos) break;
    pos = next + kSeparator.size();
  }
  std::istringstream lines(out);
  std::string line;
  std::size_t i = 0;
  for (; i < texts.size() && std::getline(lines, line); ++i) {
    EXPECT_EQ(tok->encode(texts[i], false, true), parse_ids(line)) << "text: " << show(texts[i]);
  }
  EXPECT_GE(i, 40u);
}

INSTANTIATE_TEST_SUITE_P(Vocabularies, LlamaCppPairs,
                         ::testing::Values("llama-spm", "llama-bpe", "qwen2"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) ch = ch == '-' ? '_' : ch;
                           return n;
                         });

TEST(Tokenizer, ReadsTheDefaultModelsFacts) {
  const kernels::GgufFile file(test::default_decoder());
  const auto tok = Tokenizer::from_gguf(file);
  EXPECT_EQ(tok->model_name(), "gpt2");
  EXPECT_EQ(tok->vocab_size(), 49152);
  EXPECT_EQ(tok->bos(), 1);
  EXPECT_EQ(tok->eos(), 2);
  EXPECT_FALSE(tok->add_bos_by_default());
  const int32_t im_start = tok->find_token("<|im_start|>");
  const int32_t im_end = tok->find_token("<|im_end|>");
  const int32_t endoftext = tok->find_token("<|endoftext|>");
  EXPECT_TRUE(tok->is_end_of_generation(im_end));
  EXPECT_TRUE(tok->is_end_of_generation(endoftext));
  EXPECT_FALSE(tok->is_end_of_generation(im_start));
  EXPECT_TRUE(tok->is_control(im_start));
  const std::vector<int32_t> hello = tok->encode("Hello", false, false);
  ASSERT_EQ(hello.size(), 1u);
  EXPECT_FALSE(tok->is_control(hello[0]));
  EXPECT_FALSE(tok->is_end_of_generation(hello[0]));
  EXPECT_EQ(tok->token_text(hello[0]), "Hello");
  EXPECT_EQ(tok->token_text(im_end), "<|im_end|>");
  EXPECT_EQ(tok->decode({im_start}), "<|im_start|>");
}

TEST(Tokenizer, KnowsTheEndOfTurnTokensOfLlama3AndQwen2) {
  const kernels::GgufFile llama3(vocab_path("llama-bpe"));
  const auto t3 = Tokenizer::from_gguf(llama3);
  EXPECT_TRUE(t3->add_bos_by_default());
  EXPECT_TRUE(t3->is_end_of_generation(t3->find_token("<|eot_id|>")));
  EXPECT_TRUE(t3->is_end_of_generation(t3->find_token("<|end_of_text|>")));
  EXPECT_FALSE(t3->is_end_of_generation(t3->find_token("<|begin_of_text|>")));
  const kernels::GgufFile qwen(vocab_path("qwen2"));
  const auto tq = Tokenizer::from_gguf(qwen);
  EXPECT_TRUE(tq->is_end_of_generation(tq->find_token("<|im_end|>")));
  EXPECT_TRUE(tq->is_end_of_generation(tq->find_token("<|endoftext|>")));
}

TEST(Tokenizer, SentencePieceByteFallbackAndSpaces) {
  const kernels::GgufFile file(vocab_path("llama-spm"));
  const auto tok = Tokenizer::from_gguf(file);
  EXPECT_EQ(tok->model_name(), "llama");
  EXPECT_TRUE(tok->add_bos_by_default());
  EXPECT_TRUE(tok->is_end_of_generation(tok->eos()));
  // U+1F999 (llama) is not in Llama 2's vocabulary: four byte tokens, each one raw byte.
  const std::vector<int32_t> ids = tok->encode("\xF0\x9F\xA6\x99", false, false);
  ASSERT_EQ(ids.size(), 5u);  // "▁" then the bytes
  EXPECT_EQ(tok->token_text(ids[1]), "\xF0");
  EXPECT_EQ(tok->token_type(ids[1]), TokenType::Byte);
  StreamingDetokenizer stream(*tok);
  std::string all;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string chunk = stream.push(ids[i]);
    if (i < ids.size() - 1) EXPECT_EQ(chunk, "") << i;
    all += chunk;
  }
  EXPECT_EQ(all, "\xF0\x9F\xA6\x99");
}

// Llama 2's 32000-token SentencePiece vocabulary is also Mistral-7B v0.1's and TinyLlama's: an
// [INST] prompt as the chat template renders it encodes with BOS parsed as the special token
// and round-trips.
TEST(Tokenizer, SentencePieceVocabularyTakesAnInstPrompt) {
  const kernels::GgufFile file(vocab_path("llama-spm"));
  const auto tok = Tokenizer::from_gguf(file);
  EXPECT_EQ(tok->vocab_size(), 32000);
  const std::string prompt = "<s>[INST] What is on page 2? [/INST]";
  const auto ids = tok->encode(prompt, false, true);
  ASSERT_GT(ids.size(), 5u);
  EXPECT_EQ(ids[0], tok->bos());
  EXPECT_EQ(std::count(ids.begin(), ids.end(), tok->bos()), 1);
  EXPECT_EQ(tok->decode(std::vector<int32_t>(ids.begin() + 1, ids.end())),
            "[INST] What is on page 2? [/INST]");
}

TEST(StreamingDetokenizer, FlushesAnUnfinishedCharacterAsReplacement) {
  const kernels::GgufFile file(vocab_path("llama-spm"));
  const auto tok = Tokenizer::from_gguf(file);
  StreamingDetokenizer stream(*tok);
  EXPECT_EQ(stream.push(tok->find_token("<0xE4>")), "");
  EXPECT_EQ(stream.push(tok->find_token("<0xB8>")), "");
  EXPECT_EQ(stream.flush(), "\xEF\xBF\xBD\xEF\xBF\xBD");
  // A stray continuation byte never completes: it comes out at once, replaced.
  EXPECT_EQ(stream.push(tok->find_token("<0x80>")), "\xEF\xBF\xBD");
}

}  // namespace
}  // namespace pgpp::llm
