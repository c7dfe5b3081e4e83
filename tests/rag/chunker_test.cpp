#include "rag/chunker.h"

#include <gtest/gtest.h>

#include "rag/sentence_splitter.h"
#include "rag/text_normalizer.h"
#include "tests/rag/rag_fixture.h"

namespace pgpp::rag {
namespace {

// Stands in for the encoder's WordPiece count until it lands (see rag_fixture.h).
int count_tokens(std::string_view s) { return test::approx_tokens(s); }

std::string page_slice(const ChunkedDocument& d, const Passage& p) {
  if (p.page_first == p.page_last) {
    return d.pages[p.page_first - 1].text.substr(p.begin, p.end - p.begin);
  }
  std::string s = d.pages[p.page_first - 1].text.substr(p.begin);
  for (int pg = p.page_first + 1; pg < p.page_last; ++pg) s += "\n" + d.pages[pg - 1].text;
  return s + "\n" + d.pages[p.page_last - 1].text.substr(0, p.end);
}

TEST(TextNormalizer, LigaturesHyphensWhitespaceAndOffsets) {
  const std::string src = "The e\xEF\xAC\x83" "cient docu-\nment  is\tfine.\n\nNext para\xC2\xADgraph,\ncafe\xCC\x81.";
  const NormalizedText n = normalize_text(src);
  EXPECT_EQ(n.text, "The efficient document is fine.\nNext paragraph, caf\xC3\xA9.");
  ASSERT_EQ(n.source_begin.size(), n.text.size());
  // "document" maps back to "docu-\nment" in the source.
  const auto at = static_cast<uint32_t>(n.text.find("document"));
  const auto [b, e] = n.to_source(at, at + 8);
  EXPECT_EQ(src.substr(b, e - b), "docu-\nment");
  // "ffi" came from one ligature character.
  const auto f = static_cast<uint32_t>(n.text.find("ffi"));
  const auto [lb, le] = n.to_source(f, f + 3);
  EXPECT_EQ(src.substr(lb, le - lb), "\xEF\xAC\x83");
  // "e" + combining acute composed to é, mapped to both source characters.
  const auto ce = static_cast<uint32_t>(n.text.find("\xC3\xA9"));
  const auto [cb, cend] = n.to_source(ce, ce + 2);
  EXPECT_EQ(src.substr(cb, cend - cb), "e\xCC\x81");
  // A dash between words that is not at a line end stays; an uppercase continuation keeps it.
  EXPECT_EQ(normalize_text("well-known and Foo-\nBar").text, "well-known and Foo- Bar");
}

TEST(TextNormalizer, LineBreaksInsideCjkJoinWithoutSpace) {
  EXPECT_EQ(normalize_text("日本語の\n文章です。\nDebian is\nfree.").text, "日本語の文章です。 Debian is free.");
  EXPECT_EQ(normalize_text("本 集 團 現 金 客 戶 (T+2) 內").text, "本集團現金客戶 (T+2) 內");
}

TEST(SentenceSplitter, AbbreviationsAndCjk) {
  SentenceSplitter en("en");
  const std::string t = "Mr. Smith uses R, e.g. for statistics. It works! Does it?";
  const auto s = en.sentences(t);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(t.substr(s[0].first, s[0].second - s[0].first), "Mr. Smith uses R, e.g. for statistics.");
  SentenceSplitter ja("ja");
  const std::string j = "Debianは自由なOSです。誰でも使えます！本当ですか？";
  const auto js = ja.sentences(j);
  ASSERT_EQ(js.size(), 3u);
  EXPECT_EQ(j.substr(js[1].first, js[1].second - js[1].first), "誰でも使えます！");
}

TEST(Chunker, RealManualPassagesRespectTokenBoundsOverlapAndMapBackToPages) {
  const PdfDocument doc = read_pdf(test::test_pdf("R-data.pdf"));
  Chunker chunker(count_tokens, {.max_tokens = 120, .overlap = 0.15});
  const ChunkedDocument d = chunker.chunk(doc);
  ASSERT_EQ(d.pages.size(), doc.pages.size());
  ASSERT_GT(d.passages.size(), 80u);
  int with_overlap = 0;
  for (size_t i = 0; i < d.passages.size(); ++i) {
    const Passage& p = d.passages[i];
    EXPECT_EQ(p.ordinal, static_cast<int>(i));
    EXPECT_LE(p.tokens, 120);
    EXPECT_EQ(p.tokens, count_tokens(p.text));
    EXPECT_GT(p.tokens, 0);
    ASSERT_GE(p.page_first, 1);
    ASSERT_LE(p.page_first, p.page_last);
    ASSERT_LE(p.page_last, static_cast<int>(doc.pages.size()));
    EXPECT_EQ(page_slice(d, p), p.text) << "passage " << i;
    ASSERT_FALSE(p.boxes.empty()) << p.text;
    for (const PassageBox& b : p.boxes) {
      EXPECT_GE(b.page, p.page_first);
      EXPECT_LE(b.page, p.page_last);
    }
    if (i > 0) {
      const Passage& q = d.passages[i - 1];
      // Passages follow the document in order, each starting no later than the previous ended.
      const bool starts_inside_previous =
          p.page_first < q.page_last || (p.page_first == q.page_last && p.begin < q.end);
      if (starts_inside_previous) {
        ++with_overlap;
        // The overlap is whole sentences of at most 15% of the limit, shared by both texts.
        if (p.page_first == q.page_last && q.page_first == q.page_last) {
          const std::string& page = d.pages[p.page_first - 1].text;
          const std::string shared = page.substr(p.begin, q.end - p.begin);
          EXPECT_TRUE(q.text.ends_with(shared)) << shared;
          EXPECT_TRUE(p.text.starts_with(shared)) << shared;
          EXPECT_LE(count_tokens(shared), 18) << shared;
        }
      }
    }
  }
  EXPECT_GT(with_overlap, static_cast<int>(d.passages.size()) / 4);
  // Each word of a passage's text is covered by one of its boxes: the first passage starts with
  // the title page's first word.
  EXPECT_EQ(d.passages[0].boxes[0].page, 1);
}

TEST(Chunker, LongSentenceIsCutAtWordsAndCjkAtCharacters) {
  PdfDocument doc;
  PdfPage p;
  p.number = 1;
  std::string words;
  for (int i = 0; i < 100; ++i) words += "word" + std::to_string(i) + " ";
  std::string cjk;
  for (int i = 0; i < 60; ++i) cjk += "文字";
  p.text = words + "\n\n" + cjk + "。";
  doc.pages.push_back(p);
  Chunker chunker(count_tokens, {.max_tokens = 16, .overlap = 0.0});
  const ChunkedDocument d = chunker.chunk(doc);
  std::string joined;
  for (const Passage& q : d.passages) {
    EXPECT_LE(q.tokens, 16);
    EXPECT_EQ(page_slice(d, q), q.text);
    if (q.text.rfind("word", 0) == 0) EXPECT_EQ(q.text.back() != ' ', true);
  }
  EXPECT_EQ(d.passages.front().text.substr(0, 12), "word0 word1 ");
  EXPECT_GT(d.passages.size(), 100u / 16 + 120u / 16);
}

TEST(Chunker, ImageOnlyAndGarbagePagesGiveNoPassages) {
  Chunker chunker(count_tokens);
  EXPECT_TRUE(chunker.chunk(read_pdf(test::test_pdf("scanned-history-en.pdf"))).passages.empty());
  EXPECT_TRUE(chunker.chunk(read_pdf(test::test_pdf("sajda.pdf"))).passages.empty());
}

}  // namespace
}  // namespace pgpp::rag
