// [n] markers in answers: the forms models write, and the ones that must be flagged.
#include "rag/citation_parser.h"

#include <gtest/gtest.h>

namespace pgpp::rag {
namespace {

TEST(CitationParser, SingleMarker) {
  const std::string text = "R reads gzip files with gzfile [1].";
  const auto p = parse_citations(text, 3);
  ASSERT_EQ(p.markers.size(), 1u);
  EXPECT_EQ(p.markers[0].number, 1);
  EXPECT_EQ(text.substr(p.markers[0].begin, p.markers[0].end - p.markers[0].begin), "[1]");
  EXPECT_TRUE(p.markers[0].in_range);
  EXPECT_EQ(p.cited, std::vector<int>{1});
  EXPECT_TRUE(p.out_of_range.empty());
}

TEST(CitationParser, AdjacentMarkers) {
  const auto p = parse_citations("Both work [1][2], and again [2].", 3);
  ASSERT_EQ(p.markers.size(), 3u);
  EXPECT_EQ(p.cited, (std::vector<int>{1, 2}));
}

TEST(CitationParser, ListsRangesAndSourceWord) {
  EXPECT_EQ(parse_citations("See [1, 2].", 3).cited, (std::vector<int>{1, 2}));
  EXPECT_EQ(parse_citations("See [3,1; 2].", 3).cited, (std::vector<int>{3, 1, 2}));
  EXPECT_EQ(parse_citations("See [1-3].", 3).cited, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(parse_citations("See [1\xE2\x80\x93" "2].", 3).cited, (std::vector<int>{1, 2}));
  EXPECT_EQ(parse_citations("See [Source 2].", 3).cited, std::vector<int>{2});
  // Both numbers of one bracket share its span.
  const auto p = parse_citations("x [1, 2]", 2);
  ASSERT_EQ(p.markers.size(), 2u);
  EXPECT_EQ(p.markers[0].begin, p.markers[1].begin);
  EXPECT_EQ(p.markers[0].end, 8u);
}

TEST(CitationParser, OutOfRange) {
  const auto p = parse_citations("As shown [0] and [4] and [2].", 3);
  EXPECT_EQ(p.cited, std::vector<int>{2});
  EXPECT_EQ(p.out_of_range, (std::vector<int>{0, 4}));
  ASSERT_EQ(p.markers.size(), 3u);
  EXPECT_FALSE(p.markers[0].in_range);
  // With no sources at all, every number is out of range.
  EXPECT_EQ(parse_citations("[1]", 0).out_of_range, std::vector<int>{1});
}

TEST(CitationParser, NoneAndNotCitations) {
  EXPECT_TRUE(parse_citations("The documents do not contain the answer.", 3).markers.empty());
  EXPECT_TRUE(parse_citations("", 3).markers.empty());
  // Brackets that are not number lists: R output, code, prose.
  const auto p = parse_citations("x[i] returns [1] \"arrests\" in [the table] and [a, 1] [12345]", 3);
  ASSERT_EQ(p.markers.size(), 1u);
  EXPECT_EQ(p.markers[0].number, 1);
  // An unclosed bracket, and one inside another.
  EXPECT_TRUE(parse_citations("see [1", 3).markers.empty());
  EXPECT_EQ(parse_citations("see [note [2]", 3).cited, std::vector<int>{2});
}

}  // namespace
}  // namespace pgpp::rag
