// The tokenizer against the reference (HF tokenizers, via tests/reference/make_encoder_goldens.py):
// token ids and byte spans identical on 317 strings in many scripts, with emoji, control
// characters, odd whitespace, very long words and truncation.
#include "embed/wordpiece_tokenizer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "kernels/error.h"
#include "tests/common/test_models.h"

namespace pgpp::embed {
namespace {

constexpr int kMaxTokens = 256;  // the default encoder's sentence_bert_config max_seq_length

const WordPieceTokenizer& tokenizer() {
  static const WordPieceTokenizer t = WordPieceTokenizer::from_folder(test::default_encoder());
  return t;
}

struct Golden {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<TokenSpan> spans;
};

std::vector<Golden> read_goldens() {
  std::ifstream in(std::string(PGPP_TEST_DATA_DIR) + "/encoder/tokens.jsonl");
  EXPECT_TRUE(in) << "tests/data/encoder/tokens.jsonl missing";
  std::vector<Golden> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    Golden g;
    g.text = j["text"];
    g.ids = j["ids"].get<std::vector<int32_t>>();
    for (const auto& o : j["offsets"]) g.spans.push_back({o[0].get<uint32_t>(), o[1].get<uint32_t>()});
    out.push_back(std::move(g));
  }
  return out;
}

TEST(WordPieceTokenizer, IdsAndSpansMatchReferenceOnAllStrings) {
  const auto goldens = read_goldens();
  ASSERT_GE(goldens.size(), 300u);
  int mismatched = 0;
  for (const auto& g : goldens) {
    const auto t = tokenizer().encode(g.text, kMaxTokens);
    EXPECT_EQ(t.ids, g.ids) << "text: " << g.text;
    if (t.ids != g.ids) {
      ++mismatched;
      continue;
    }
    for (std::size_t i = 0; i < g.spans.size(); ++i) {
      EXPECT_EQ(t.spans[i].begin, g.spans[i].begin) << "token " << i << " of: " << g.text;
      EXPECT_EQ(t.spans[i].end, g.spans[i].end) << "token " << i << " of: " << g.text;
    }
    EXPECT_EQ(t.truncated, g.ids.size() == kMaxTokens && tokenizer().encode(g.text).ids.size() > kMaxTokens);
  }
  EXPECT_EQ(mismatched, 0);
}

TEST(WordPieceTokenizer, VocabTxtFallbackGivesTheSameIds) {
  // A folder with only vocab.txt + tokenizer_config.json (older sentence-transformers exports).
  const auto dir = test::make_temp_dir("wordpiece_vocab");
  std::filesystem::copy_file(test::default_encoder() / "vocab.txt", dir / "vocab.txt");
  std::filesystem::copy_file(test::default_encoder() / "tokenizer_config.json", dir / "tokenizer_config.json");
  const auto fallback = WordPieceTokenizer::from_folder(dir);
  std::filesystem::remove_all(dir);
  for (const auto& g : read_goldens()) {
    EXPECT_EQ(fallback.encode(g.text, kMaxTokens).ids, g.ids) << "text: " << g.text;
  }
}

// A tokenizer.json without its model, or with one of the wrong shape, is refused with a
// pgpp::Error naming the file and the missing entry (not a bare JSON exception).
TEST(WordPieceTokenizer, BrokenTokenizerJsonNamesFileAndEntry) {
  nlohmann::json good;
  std::ifstream(test::default_encoder() / "tokenizer.json") >> good;
  const auto dir = test::make_temp_dir("wordpiece_broken");
  auto error_for = [&](const nlohmann::json& j) -> std::string {
    std::ofstream(dir / "tokenizer.json") << j.dump();
    try {
      WordPieceTokenizer::from_folder(dir);
    } catch (const Error& e) {
      return e.what();
    } catch (const std::exception& e) {
      return std::string("not a pgpp::Error: ") + e.what();
    }
    return "no error";
  };
  auto without_model = good;
  without_model.erase("model");
  auto model_is_text = good;
  model_is_text["model"] = "WordPiece";
  auto without_vocab = good;
  without_vocab["model"].erase("vocab");
  auto bad_id = good;
  bad_id["model"]["vocab"]["hello"] = "not a number";
  const std::string file = (dir / "tokenizer.json").string();
  for (const auto& [broken, entry] : {std::pair{without_model, "\"model\""}, std::pair{model_is_text, "\"model\""},
                                      std::pair{without_vocab, "\"model.vocab\""}, std::pair{bad_id, "malformed"}}) {
    const std::string e = error_for(broken);
    EXPECT_EQ(e.rfind(file + ": ", 0), 0u) << e;
    EXPECT_NE(e.find(entry), std::string::npos) << e;
  }
  std::filesystem::remove_all(dir);
}

TEST(WordPieceTokenizer, InvalidUtf8IsReplacedNotFatal) {
  // U+FFFD is dropped by BERT's clean-up, so a stray byte vanishes like the reference's U+FFFD.
  const auto ref = tokenizer().encode("a\xEF\xBF\xBD" "b").ids;
  EXPECT_EQ(tokenizer().encode("a\xFF" "b").ids, ref);
  EXPECT_EQ(tokenizer().encode("a\xC3" "b").ids, ref);          // truncated 2-byte sequence
  EXPECT_EQ(tokenizer().encode("a\xED\xA0\x80" "b").ids.size(), ref.size());  // encoded surrogate
  EXPECT_EQ(tokenizer().encode("a\xC0\xAF" "b").ids.size(), ref.size());      // overlong '/'
  const auto end = tokenizer().encode("hello\xF0\x9F");  // cut in the middle of an emoji
  ASSERT_EQ(end.ids.size(), 3u);
  EXPECT_EQ(end.ids[1], tokenizer().id_of("hello"));
}

TEST(WordPieceTokenizer, EmptyTextIsClsSep) {
  const auto t = tokenizer().encode("", kMaxTokens);
  EXPECT_EQ(t.ids, (std::vector<int32_t>{tokenizer().cls_id(), tokenizer().sep_id()}));
  EXPECT_FALSE(t.truncated);
}

TEST(WordPieceTokenizer, MegabyteTextIsTruncatedAndFlagged) {
  std::string big;
  while (big.size() < (1u << 20)) big += "Straßenbahn über naïve Résumés, 東京 😀 ";
  const auto t = tokenizer().encode(big, kMaxTokens);
  EXPECT_EQ(t.ids.size(), static_cast<std::size_t>(kMaxTokens));
  EXPECT_TRUE(t.truncated);
  EXPECT_EQ(t.ids.back(), tokenizer().sep_id());
  const auto all = tokenizer().encode(big);  // no limit: every token of the megabyte
  EXPECT_GT(all.ids.size(), 100000u);
  EXPECT_TRUE(std::equal(t.ids.begin(), t.ids.end() - 1, all.ids.begin()));
}

}  // namespace
}  // namespace pgpp::embed
