#include "rag/prompt_builder.h"

#include <algorithm>
#include <cctype>

#include "kernels/error.h"

namespace pgpp::rag {

namespace {

constexpr std::string_view kInstructions =
    "You answer questions about the user's documents using only the numbered sources given with "
    "the question. After each statement, cite the sources it comes from by their numbers in square "
    "brackets, like [1] or [2][3]. For example: \"The file is read with read.csv [2].\" Be brief. "
    "If the sources do not contain the answer, reply exactly: ";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The longest prefix of `text` at most `bytes` long that ends at a space and keeps UTF-8 whole.
std::string cut_at_word(const std::string& text, std::size_t bytes) {
  if (bytes >= text.size()) return text;
  std::size_t end = bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  const std::size_t space = text.rfind(' ', end);
  if (space != std::string::npos && space > end / 2) end = space;
  return text.substr(0, end) + " ...";
}

// The user message: numbered sources, then the question.
std::string user_message(std::string_view question, const std::vector<PromptSource>& sources, int source_bytes) {
  std::string user = "Sources:\n\n";
  for (std::size_t i = 0; i < sources.size(); ++i) {
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "[" + std::to_string(...).
    user += '[';
    user += std::to_string(i + 1);
    user += "] (";
    user += sources[i].label;
    user += ")\n";
    user += source_bytes > 0 ? cut_at_word(sources[i].text, static_cast<std::size_t>(source_bytes)) : sources[i].text;
    user += "\n\n";
  }
  user += "Question: ";
  user += question;
  user += "\nAnswer with citations like [1]:";
  return user;
}

}  // namespace

std::vector<llm::ChatMessage> PromptBuilder::messages(std::string_view question,
                                                      const std::vector<PromptSource>& sources) const {
  std::string system(kInstructions);
  system += kNoAnswerSentence;
  std::vector<llm::ChatMessage> out{{"system", system}};
  if (options_.example_turn) {
    // Made-up documents, so that the example cannot be mistaken for the user's.
    out.push_back({"user", user_message("How many backup copies are kept?",
                                        {{"backup-guide.pdf, page 4",
                                          "The backup job runs every night at 02:00 and keeps seven copies."},
                                         {"office-notes.pdf, page 9", "The printer on the second floor takes A3 paper."}},
                                        0)});
    out.push_back({"assistant", "Seven copies are kept [1]."});
  }
  out.push_back({"user", user_message(question, sources, options_.source_bytes)});
  return out;
}

BuiltPrompt PromptBuilder::build(std::string_view question, const std::vector<PromptSource>& sources, int64_t budget,
                                 const ChatTokenCounter& count) const {
  std::vector<PromptSource> used = sources;
  BuiltPrompt out;
  while (true) {
    out.messages = messages(question, used);
    out.tokens = count(out.messages);
    if (out.tokens <= budget || used.empty()) break;
    if (used.size() > 1) {
      used.pop_back();
      continue;
    }
    // One source left and still too long: cut it in proportion to the excess, then by halves.
    PromptSource& s = used.front();
    const int64_t excess = out.tokens - budget;
    const int64_t own = std::max<int64_t>(1, count({{"user", s.text}}));
    if (own <= excess + 8 || s.text.size() < 16) {
      used.clear();
      continue;
    }
    const double keep = static_cast<double>(own - excess - 8) / static_cast<double>(own);
    s.text = cut_at_word(s.text, static_cast<std::size_t>(static_cast<double>(s.text.size()) * std::min(keep, 0.9)));
    out.truncated = true;
  }
  if (out.tokens > budget) {
    throw Error("the question alone (" + std::to_string(out.tokens) + " tokens with the instructions) does not fit "
                "the decoder's context budget of " + std::to_string(budget) + " tokens");
  }
  out.sources_used = static_cast<int>(used.size());
  return out;
}

bool is_abstention(std::string_view answer) {
  const std::string a = lower(answer);
  for (std::string_view phrase : {"do not contain the answer", "does not contain the answer",
                                  "don't contain the answer", "doesn't contain the answer",
                                  "not contain the answer", "sources do not contain", "documents do not contain"}) {
    if (a.find(phrase) != std::string::npos) return true;
  }
  return false;
}

}  // namespace pgpp::rag
