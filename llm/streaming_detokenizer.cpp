#include "llm/streaming_detokenizer.h"

#include "llm/unicode.h"

namespace pgpp::llm {

std::string StreamingDetokenizer::push(int32_t id) {
  pending_ += tokenizer_.decode_piece(id, at_start_);
  at_start_ = tokenizer_.starts_fresh(id);
  const std::size_t ready = complete_utf8_prefix(pending_);
  if (ready == 0) return {};
  std::string out = sanitize_utf8(std::string_view(pending_).substr(0, ready));
  pending_.erase(0, ready);
  return out;
}

std::string StreamingDetokenizer::flush() {
  std::string out = sanitize_utf8(pending_);
  pending_.clear();
  at_start_ = true;
  return out;
}

}  // namespace pgpp::llm
