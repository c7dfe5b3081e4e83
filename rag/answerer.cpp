#include "rag/answerer.h"

#include <algorithm>
#include <filesystem>

namespace pgpp::rag {

std::string source_label(const RetrievedSource& s) {
  std::string label = std::filesystem::path(s.path).filename().string();
  if (s.page_first == s.page_last) return label + ", page " + std::to_string(s.page_first);
  return label + ", pages " + std::to_string(s.page_first) + "-" + std::to_string(s.page_last);
}

void resolve_citations(Answer& a) {
  a.citations.clear();
  a.flagged = false;
  a.flag_reason.clear();
  const int n = static_cast<int>(a.sources.size());
  a.parsed = parse_citations(a.text, n);
  for (int number : a.parsed.cited) a.citations.push_back({number, number - 1});
  a.abstained = is_abstention(a.text);
  if (!a.parsed.out_of_range.empty()) {
    a.flagged = true;
    std::string list;
    for (int x : a.parsed.out_of_range) list += (list.empty() ? "[" : ", [") + std::to_string(x) + "]";
    a.flag_reason = "cites " + list + " but only sources [1] to [" + std::to_string(n) + "] were given";
  } else if (a.citations.empty() && !a.abstained) {
    a.flagged = true;
    a.flag_reason = n == 0 ? "no source was found for the question" : "the answer cites no source";
  }
  std::vector<std::string> texts;
  for (const auto& s : a.sources) texts.push_back(s.text);
  a.matched = a.abstained ? std::vector<MatchedCitation>{} : match_uncited_sentences(a.text, texts);
  if (a.flagged && a.citations.empty() && !a.matched.empty()) {
    std::string list;
    for (const auto& m : a.matched) {
      std::string one = "[";  // piece by piece: GCC 12 warns falsely (-Wrestrict) on "[" + ...
      one += std::to_string(m.number);
      one += ']';
      if (list.find(one) == std::string::npos) list += (list.empty() ? "" : ", ") + one;
    }
    a.flag_reason += "; its wording matches source " + list;
  }
}

Answerer::Answerer(const Retriever& retriever, llm::Session& session, AnswererOptions options)
    : retriever_(retriever), session_(session), options_(std::move(options)), builder_(options_.prompt) {}

Answer Answerer::answer(std::string_view question, const llm::TextCallback& on_text, std::stop_token stop) {
  return answer_from(question, retriever_.retrieve(question, options_.retrieval), on_text, stop);
}

Answer Answerer::answer_from(std::string_view question, std::vector<RetrievedSource> sources,
                             const llm::TextCallback& on_text, std::stop_token stop) {
  Answer a;
  a.question = std::string(question);
  std::vector<PromptSource> prompt_sources;
  for (const auto& s : sources) prompt_sources.push_back({source_label(s), s.text});
  const int64_t budget = session_.context() - std::max(1, options_.max_answer_tokens);
  const BuiltPrompt prompt = builder_.build(question, prompt_sources, budget,
                                            [&](const std::vector<llm::ChatMessage>& m) { return session_.count_tokens(m); });
  a.sources_found = static_cast<int>(sources.size());
  sources.resize(static_cast<std::size_t>(prompt.sources_used));
  a.sources = std::move(sources);
  a.truncated_source = prompt.truncated;

  const int saved_max = session_.options().max_tokens;
  session_.options().max_tokens = options_.max_answer_tokens;
  try {
    a.generation = session_.chat(prompt.messages, on_text, stop);
  } catch (...) {
    session_.options().max_tokens = saved_max;
    throw;
  }
  session_.options().max_tokens = saved_max;
  a.text = a.generation.text;

  resolve_citations(a);
  return a;
}

}  // namespace pgpp::rag
