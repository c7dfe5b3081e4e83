#pragma once
// A grounded answer: retrieve sources, fit them into the decoder's context as numbered sources,
// stream the model's reply, then map its [n] markers back to document, page and span.
//
// An answer is flagged (not to be trusted as grounded) when it cites a number that was not a
// source, or cites nothing while not saying that the documents lack the answer.
#include <cstdint>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "llm/session.h"
#include "rag/answer_attribution.h"
#include "rag/citation_parser.h"
#include "rag/prompt_builder.h"
#include "rag/retriever.h"

namespace pgpp::rag {

struct AnswererOptions {
  RetrieverOptions retrieval;
  int max_answer_tokens = 256;  // room kept in the context for the reply
  PromptOptions prompt;
};

// A source the answer cites, resolved.
struct Citation {
  int number = 0;  // [n] as written
  int source = 0;  // index into Answer::sources (number - 1)
};

struct Answer {
  std::string question;
  std::string text;                      // the reply as streamed
  std::vector<RetrievedSource> sources;  // numbered [1].. in the prompt: only those that fit
  int sources_found = 0;                 // retrieved, before fitting to the context
  bool truncated_source = false;         // the last source was cut to fit the context
  ParsedCitations parsed;
  std::vector<Citation> citations;       // in-range numbers, in order of first appearance
  std::vector<MatchedCitation> matched;  // sentences without [n] matched to a source by wording
  bool abstained = false;                // the model said the documents do not hold the answer
  bool flagged = false;
  std::string flag_reason;               // for a person: why the answer is not trusted
  llm::GenerationResult generation;
};

class Answerer {
 public:
  // None are owned; the session is used for one answer at a time.
  Answerer(const Retriever& retriever, llm::Session& session, AnswererOptions options = {});

  // on_text receives the reply as it streams. `stop` cancels generation (the answer so far is
  // returned, flagged when incomplete citations leave it ungrounded).
  Answer answer(std::string_view question, const llm::TextCallback& on_text = {}, std::stop_token stop = {});

  // What answer() does after retrieval, for callers that retrieved already.
  Answer answer_from(std::string_view question, std::vector<RetrievedSource> sources,
                     const llm::TextCallback& on_text = {}, std::stop_token stop = {});

  const AnswererOptions& options() const { return options_; }

 private:
  const Retriever& retriever_;
  llm::Session& session_;
  AnswererOptions options_;
  PromptBuilder builder_;
};

// Parses the citations of a.text against a.sources and sets citations, matched, abstained and
// flagged.
void resolve_citations(Answer& a);

// "R-data.pdf, page 12" / "pages 12-13".
std::string source_label(const RetrievedSource& s);

}  // namespace pgpp::rag
