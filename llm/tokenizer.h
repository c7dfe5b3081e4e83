#pragma once
// Text <-> token ids for a decoder, built from the tokenizer a GGUF file carries in its
// metadata (tokenizer.ggml.*). Two families exist in the wild:
//   gpt2  — byte-level BPE (SmolLM, Llama 3, Qwen2): llm/bpe_tokenizer.h
//   llama — SentencePiece-style BPE with scores and byte fallback (Llama 2, Mistral,
//           TinyLlama, Gemma): llm/sentencepiece_tokenizer.h
// This base class holds what both share: the vocabulary, token types, the special tokens that
// are recognised inside text, and decoding.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kernels/gguf_file.h"

namespace pgpp::llm {

// tokenizer.ggml.token_type values, per llama.cpp's llama_token_type.
enum class TokenType : int32_t {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

// Hash for string-keyed maps that can be searched with a string_view (no temporary strings in
// the encode loops).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenIdMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Reads tokenizer.ggml.* from `file`. Throws pgpp::Error naming the file when the tokenizer
  // model or pre-tokenizer is one we don't know, or the vocabulary is malformed.
  static std::unique_ptr<Tokenizer> from_gguf(const kernels::GgufFile& file);

  // Token ids for `text`. `add_bos` puts the BOS token first (when the model has one);
  // `parse_special` lets control tokens written in the text (e.g. "<|im_start|>") become those
  // tokens — without it they are tokenized as plain characters. Bytes that are not valid UTF-8
  // are replaced by U+FFFD first.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const;

  // The text of `ids`; control tokens appear as their text ("<|im_end|>").
  virtual std::string decode(const std::vector<int32_t>& ids) const;

  // The bytes one token stands for (a byte-fallback token gives its one byte; a byte-level BPE
  // token its raw bytes, possibly part of a UTF-8 character).
  virtual std::string token_text(int32_t id) const;

  // The bytes token `id` adds to a decoded text; `at_start` is true for the first token of the
  // text and for a token right after a special one (SentencePiece drops the space that encode()
  // put before such a stretch of text). decode() is the concatenation of these.
  // starts_fresh(previous) says what at_start is for the token after `previous`.
  virtual std::string decode_piece(int32_t id, bool at_start) const;

  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  int32_t unk() const { return unk_; }
  int vocab_size() const { return static_cast<int>(texts_.size()); }
  bool add_bos_by_default() const { return add_bos_; }
  // The id of a token by its stored text (as in tokenizer.ggml.tokens), -1 if none.
  int32_t find_token(std::string_view text) const;
  // tokenizer.ggml.model: "gpt2" or "llama".
  const std::string& model_name() const { return model_name_; }
  TokenType token_type(int32_t id) const;

  // Tokens that end a reply: eos, eot, and the usual end-of-turn tokens of the chat formats
  // (<|im_end|>, <|eot_id|>, <|end_of_text|>, <|endoftext|>, <end_of_turn>, </s>, ...).
  bool is_end_of_generation(int32_t id) const;
  // Control tokens (BOS, EOS, chat markers): not text the model writes for a person.
  bool is_control(int32_t id) const;
  // True when the text after token `id` is encoded as a new stretch (after a special token).
  bool starts_fresh(int32_t id) const;

 protected:
  Tokenizer(const kernels::GgufFile& file, std::string model_name);

  // Appends the ids of a stretch of plain text (no special tokens in it). `after_special` is
  // true when it begins the text or follows a special token.
  virtual void encode_text(std::string_view text, bool after_special, std::vector<int32_t>& out) const = 0;

  [[noreturn]] void fail(const std::string& reason) const;

  std::string file_name_;
  std::string model_name_;
  std::vector<std::string> texts_;   // tokenizer.ggml.tokens, as stored
  std::vector<TokenType> types_;
  TokenIdMap text_to_id_;
  int32_t bos_ = -1;
  int32_t eos_ = -1;
  int32_t unk_ = -1;
  bool add_bos_ = false;

 private:
  // Special tokens recognised inside text, grouped by their first byte, longest first.
  struct SpecialToken {
    std::string text;
    int32_t id;
    bool always;  // user-defined tokens are recognised even without parse_special
  };
  std::vector<SpecialToken> specials_by_byte_[256];
  std::vector<bool> end_of_generation_;
};

}  // namespace pgpp::llm
