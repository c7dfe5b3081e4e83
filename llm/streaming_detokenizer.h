#pragma once
// Turns generated token ids into text as they come, for streaming to a person. A byte-level or
// byte-fallback token may hold part of a UTF-8 character; such bytes are held back until the
// character is complete, so every piece push() returns is valid UTF-8 on its own.
#include <cstdint>
#include <string>

#include "llm/tokenizer.h"

namespace pgpp::llm {

class StreamingDetokenizer {
 public:
  explicit StreamingDetokenizer(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  // The text that token `id` completes (possibly empty while a character is unfinished).
  std::string push(int32_t id);
  // What is still held back (an unfinished character becomes U+FFFD); starts a new text.
  std::string flush();

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;
  bool at_start_ = true;
};

}  // namespace pgpp::llm
