#pragma once
// SentencePiece-style BPE (tokenizer.ggml.model = llama): Llama 2, Mistral, TinyLlama, Gemma.
// Spaces become U+2581 "▁" (and one is put before the text when add_space_prefix is set), the
// text starts as one symbol per character, and the adjacent pair whose joined text is a token
// with the highest score (tokenizer.ggml.scores) is merged until none is left. A character that
// is not in the vocabulary falls back to its UTF-8 bytes as tokens <0x00>..<0xFF>.
#include <cstdint>
#include <string>
#include <vector>

#include "llm/tokenizer.h"

namespace pgpp::llm {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(const kernels::GgufFile& file);

  std::string decode_piece(int32_t id, bool at_start) const override;
  bool add_space_prefix() const { return add_space_prefix_; }

 protected:
  void encode_text(std::string_view text, bool after_special, std::vector<int32_t>& out) const override;

 private:
  int32_t mergeable(std::string_view text) const;  // a normal token with this text, or -1

  std::vector<float> scores_;
  std::vector<std::string> pieces_;  // the bytes each token decodes to
  int32_t byte_token_[256];
  bool add_space_prefix_ = true;
};

}  // namespace pgpp::llm
