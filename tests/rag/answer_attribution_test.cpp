// A sentence the model copied from a source without writing [n] is matched to that source, so a
// person can still check it; a sentence that only shares common words, or one the model did
// cite, is left alone.
#include "rag/answer_attribution.h"

#include <gtest/gtest.h>

#include "rag/answerer.h"

namespace pgpp::rag {
namespace {

const std::vector<std::string> kSources = {
    "R can read files compressed with gzip, bzip2 and xz. The function bzfile() opens a "
    "connection to a file compressed by bzip2.",
    "The Debian Project was officially founded by Ian Murdock on August 16th, 1993.",
};

TEST(AnswerAttribution, CopiedSentenceMatchesItsSource) {
  const std::string answer =
      "The Debian Project was founded by Ian Murdock on August 16th, 1993. It grew quickly.";
  const auto m = match_uncited_sentences(answer, kSources);
  ASSERT_EQ(m.size(), 1u);  // "It grew quickly." is too short to attribute
  EXPECT_EQ(m[0].number, 2);
  EXPECT_EQ(answer.substr(m[0].begin, m[0].end - m[0].begin),
            "The Debian Project was founded by Ian Murdock on August 16th, 1993.");
  EXPECT_GE(m[0].overlap, 0.99);
}

TEST(AnswerAttribution, MadeUpSentenceAndCitedSentenceStayUnmatched) {
  // Shares "the", "was", "founded", "by" with source 2, but names other facts.
  EXPECT_TRUE(
      match_uncited_sentences("Linux was founded by Linus Torvalds in Helsinki in 1991.", kSources)
          .empty());
  // Already cited by the model: not matched again.
  EXPECT_TRUE(
      match_uncited_sentences(
          "The function bzfile() opens a connection to a file compressed by bzip2 [1].", kSources)
          .empty());
  EXPECT_TRUE(match_uncited_sentences("Anything at all goes here today.", {}).empty());
}

TEST(AnswerAttribution, UncitedAnswerStaysFlaggedButNamesTheMatchingSource) {
  Answer a;
  a.text = "The function bzfile() opens a connection to a file compressed by bzip2.";
  for (const auto& t : kSources) a.sources.push_back(RetrievedSource{.text = t});
  resolve_citations(a);
  EXPECT_TRUE(a.citations.empty());
  EXPECT_TRUE(a.flagged);
  EXPECT_EQ(a.flag_reason, "the answer cites no source; its wording matches source [1]");
  ASSERT_EQ(a.matched.size(), 1u);
  EXPECT_EQ(a.matched[0].number, 1);
}

}  // namespace
}  // namespace pgpp::rag
