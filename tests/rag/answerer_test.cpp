// A grounded answer end to end with the real default decoder and encoder on a real PDF. The
// wording of a 135M model's answer is not asserted; its structure is: the streamed text is the
// answer, every citation maps to a real stored passage, and an answer that cites nothing (or a
// number that was not a source) is flagged.
#include "rag/answerer.h"

#include <gtest/gtest.h>

#include "kernels/error.h"
#include "llm/llama_model.h"
#include "tests/rag/ingested_library.h"

namespace pgpp::rag {
namespace {

TEST(PromptBuilder, FitsSourcesToTheBudgetWithTheDecodersTokenCount) {
  auto model = llm::LlamaModel::load(test::default_decoder());
  kernels::CpuBackend cpu(2);
  llm::Session session(*model, cpu);
  const auto count = [&](const std::vector<llm::ChatMessage>& m) { return session.count_tokens(m); };
  std::vector<PromptSource> sources;
  for (int i = 0; i < 5; ++i) {
    std::string text;
    for (int w = 0; w < 120; ++w) text += "word" + std::to_string(i) + " ";
    sources.push_back({"doc.pdf, page " + std::to_string(i + 1), text});
  }
  PromptBuilder builder;
  const auto all = builder.build("What is it?", sources, 100000, count);
  EXPECT_EQ(all.sources_used, 5);
  EXPECT_FALSE(all.truncated);
  EXPECT_EQ(all.tokens, session.count_tokens(all.messages));
  EXPECT_NE(all.messages[1].content.find("[5] (doc.pdf, page 5)"), std::string::npos);
  EXPECT_NE(all.messages[0].content.find(kNoAnswerSentence), std::string::npos);

  // A budget between two and three sources' worth keeps the first two, whole.
  const auto two = builder.build("What is it?", {sources[0], sources[1]}, 100000, count);
  const auto fitted = builder.build("What is it?", sources, two.tokens + 50, count);
  EXPECT_EQ(fitted.sources_used, 2);
  EXPECT_LE(fitted.tokens, two.tokens + 50);
  EXPECT_EQ(fitted.messages[1].content.find("[3]"), std::string::npos);

  // Less than one source's worth: the first source is cut at a word to fit.
  const auto none = builder.build("What is it?", {}, 100000, count);
  const auto cut = builder.build("What is it?", sources, none.tokens + 60, count);
  EXPECT_EQ(cut.sources_used, 1);
  EXPECT_TRUE(cut.truncated);
  EXPECT_LE(cut.tokens, none.tokens + 60);
  EXPECT_THROW(builder.build("What is it?", sources, none.tokens - 1, count), pgpp::Error);
}

TEST(PromptBuilder, ShortSourcesAndAWorkedExampleWhenAsked) {
  std::string text;
  for (int w = 0; w < 200; ++w) text += "word" + std::to_string(w) + " ";
  const std::vector<PromptSource> sources{{"doc.pdf, page 1", text}};
  const auto plain = PromptBuilder().messages("What is it?", sources);
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_NE(plain[1].content.find("word199"), std::string::npos);

  const auto shaped = PromptBuilder({.source_bytes = 100, .example_turn = true}).messages("What is it?", sources);
  ASSERT_EQ(shaped.size(), 4u);  // system, the example's question and cited answer, the question
  EXPECT_EQ(shaped[1].role, "user");
  EXPECT_EQ(shaped[2].role, "assistant");
  EXPECT_NE(shaped[2].content.find("[1]"), std::string::npos);
  const std::string& asked = shaped[3].content;
  EXPECT_NE(asked.find("Question: What is it?"), std::string::npos);
  EXPECT_NE(asked.find("[1] (doc.pdf, page 1)\nword0 "), std::string::npos);
  EXPECT_EQ(asked.find("word99"), std::string::npos) << "the source was not cut";
  EXPECT_NE(asked.find(" ..."), std::string::npos);
}

TEST(Answerer, GroundedAnswerOnARealPdfWithTheDefaultModels) {
  test::IngestedLibrary lib({"R-data.pdf"});
  ASSERT_EQ(lib.report.count(IngestFileResult::Status::kAdded), 1);
  Retriever retriever(lib.library, lib.encoder, *lib.index);
  auto model = llm::LlamaModel::load(test::default_decoder());
  llm::SessionOptions so;
  so.context = 2048;
  so.sampling = llm::SamplerParams::greedy();
  llm::Session session(*model, lib.cpu, so);
  AnswererOptions options;
  options.retrieval.top_k = 3;
  options.max_answer_tokens = 48;
  Answerer answerer(retriever, session, options);

  std::string streamed;
  const Answer a = answerer.answer("Which function creates a connection to a file compressed with bzip2?",
                                   [&](std::string_view piece) { streamed += piece; });
  SCOPED_TRACE("answer: " + a.text);
  EXPECT_EQ(streamed, a.text);
  EXPECT_FALSE(a.text.empty());
  ASSERT_FALSE(a.sources.empty());
  EXPECT_LE(a.sources.size(), 3u);
  EXPECT_LE(a.generation.prompt_tokens + a.generation.generated_tokens, session.context());
  for (const Citation& c : a.citations) {
    ASSERT_GE(c.source, 0);
    ASSERT_LT(c.source, static_cast<int>(a.sources.size()));
    EXPECT_EQ(c.number, c.source + 1);
    const RetrievedSource& s = a.sources[static_cast<std::size_t>(c.source)];
    for (int64_t id : s.passage_ids) {
      const auto p = lib.library.passage(id);
      ASSERT_TRUE(p);
      EXPECT_EQ(p->document_id, s.document_id);
      EXPECT_GE(p->page_first, s.page_first);
      EXPECT_LE(p->page_last, s.page_last);
    }
  }
  // The flag follows the citations exactly.
  const bool ungrounded = !a.parsed.out_of_range.empty() || (a.citations.empty() && !a.abstained);
  EXPECT_EQ(a.flagged, ungrounded);
  EXPECT_EQ(a.flag_reason.empty(), !a.flagged);

}

TEST(Answerer, FlagsMissingAndOutOfRangeCitations) {
  Answer a;
  a.sources.resize(2);
  auto check = [&](const std::string& text) {
    a.text = text;
    resolve_citations(a);
    return a;
  };
  EXPECT_FALSE(check("bzfile opens it [2].").flagged);
  ASSERT_EQ(a.citations.size(), 1u);
  EXPECT_EQ(a.citations[0].source, 1);
  EXPECT_TRUE(check("bzfile opens it.").flagged);
  EXPECT_EQ(a.flag_reason, "the answer cites no source");
  EXPECT_TRUE(check("bzfile opens it [1][3].").flagged);
  EXPECT_NE(a.flag_reason.find("[3]"), std::string::npos);
  const Answer none = check(std::string(kNoAnswerSentence));
  EXPECT_TRUE(none.abstained);
  EXPECT_FALSE(none.flagged);
}

}  // namespace
}  // namespace pgpp::rag
