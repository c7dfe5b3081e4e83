#pragma once
// The grounded-answer prompt: instructions in the system message, the numbered sources and the
// question in the user message. Sources are fitted to a token budget (the decoder's context
// minus room for the answer) by dropping the lowest-ranked ones; the last one left is cut at a
// word boundary when even it alone is too long. Nothing is cut silently: the result says how
// many sources went in.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "llm/chat_template.h"

namespace pgpp::rag {

struct PromptSource {
  std::string label;  // "R-data.pdf, page 12"
  std::string text;
};

struct BuiltPrompt {
  std::vector<llm::ChatMessage> messages;
  int sources_used = 0;    // the first sources_used sources, numbered [1]..[n]
  bool truncated = false;  // the last source was cut to fit
  int64_t tokens = 0;
};

// Tokens of a conversation as the decoder would see it (llm::Session::count_tokens).
using ChatTokenCounter = std::function<int64_t(const std::vector<llm::ChatMessage>&)>;

// The sentence the model is told to write when the sources do not hold the answer; an answer
// containing it counts as an abstention.
inline constexpr std::string_view kNoAnswerSentence = "The documents do not contain the answer.";

struct PromptOptions {
  // Each source cut to about this many bytes, at a word boundary (0: whole). Small decoders
  // lose the instructions behind long sources.
  int source_bytes = 0;
  // Open with a worked exchange (two sources, a question, an answer citing [1]) before the real
  // question: small decoders copy a shown format more readily than they follow a described one.
  bool example_turn = false;
};

class PromptBuilder {
 public:
  PromptBuilder() = default;
  explicit PromptBuilder(PromptOptions options) : options_(options) {}

  std::vector<llm::ChatMessage> messages(std::string_view question, const std::vector<PromptSource>& sources) const;
  // The prompt with as many sources as fit in `budget` tokens.
  BuiltPrompt build(std::string_view question, const std::vector<PromptSource>& sources, int64_t budget,
                    const ChatTokenCounter& count) const;

 private:
  PromptOptions options_;
};

// True when the answer says that the documents do not hold the answer.
bool is_abstention(std::string_view answer);

}  // namespace pgpp::rag
