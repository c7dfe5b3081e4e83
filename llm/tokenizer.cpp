#include "llm/tokenizer.h"

#include <algorithm>

#include "kernels/error.h"
#include "llm/bpe_tokenizer.h"
#include "llm/sentencepiece_tokenizer.h"
#include "llm/unicode.h"

namespace pgpp::llm {

namespace {

// End-of-turn markers of the chat formats we know, by text (llama.cpp keeps a similar list
// because GGUF files often name only one of them as eos).
constexpr std::string_view kEndOfGenerationTexts[] = {
    "<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|endoftext|>", "<|end|>",
    "<end_of_turn>", "<|end_of_turn|>", "</s>", "<EOT>", "<|return|>", "<|call|>",
};

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const kernels::GgufFile& file) {
  const std::string model = file.get_string_or("tokenizer.ggml.model", "");
  if (model == "gpt2") return std::make_unique<BpeTokenizer>(file);
  if (model == "llama") return std::make_unique<SentencePieceTokenizer>(file);
  if (model.empty()) {
    throw Error(file.display_name() + ": no tokenizer in this file (tokenizer.ggml.model is missing)");
  }
  throw Error(file.display_name() + ": tokenizer model '" + model +
              "' is not supported (we read 'gpt2' byte-level BPE and 'llama' SentencePiece)");
}

Tokenizer::Tokenizer(const kernels::GgufFile& file, std::string model_name)
    : file_name_(file.display_name()), model_name_(std::move(model_name)) {
  texts_ = file.get_strings("tokenizer.ggml.tokens");
  if (texts_.empty()) fail("tokenizer.ggml.tokens is empty");
  const auto n = static_cast<int32_t>(texts_.size());
  types_.assign(texts_.size(), TokenType::Normal);
  if (file.has("tokenizer.ggml.token_type")) {
    const auto& types = file.get_ints("tokenizer.ggml.token_type");
    if (types.size() != texts_.size()) {
      fail("tokenizer.ggml.token_type has " + std::to_string(types.size()) + " entries for " +
           std::to_string(texts_.size()) + " tokens");
    }
    for (std::size_t i = 0; i < types.size(); ++i) types_[i] = static_cast<TokenType>(types[i]);
  }
  text_to_id_.reserve(texts_.size());
  for (int32_t i = 0; i < n; ++i) text_to_id_.emplace(texts_[static_cast<std::size_t>(i)], i);

  auto id_or = [&](const char* key) -> int32_t {
    const int64_t v = file.get_int_or(key, -1);
    if (v < -1 || v >= n) fail(std::string(key) + " = " + std::to_string(v) + " is not a token id");
    return static_cast<int32_t>(v);
  };
  bos_ = id_or("tokenizer.ggml.bos_token_id");
  eos_ = id_or("tokenizer.ggml.eos_token_id");
  unk_ = id_or("tokenizer.ggml.unknown_token_id");

  end_of_generation_.assign(texts_.size(), false);
  if (eos_ >= 0) end_of_generation_[static_cast<std::size_t>(eos_)] = true;
  for (const char* key : {"tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
    const int32_t id = id_or(key);
    if (id >= 0) end_of_generation_[static_cast<std::size_t>(id)] = true;
  }
  for (std::string_view t : kEndOfGenerationTexts) {
    const int32_t id = find_token(t);
    if (id >= 0 && types_[static_cast<std::size_t>(id)] != TokenType::Normal) {
      end_of_generation_[static_cast<std::size_t>(id)] = true;
    }
  }

  // Tokens that are matched in text before anything else: control and unknown tokens (with
  // parse_special) and user-defined ones (always), as HF tokenizers treats "added tokens".
  for (int32_t i = 0; i < n; ++i) {
    const TokenType t = types_[static_cast<std::size_t>(i)];
    const std::string& text = texts_[static_cast<std::size_t>(i)];
    if (text.empty()) continue;
    if (t == TokenType::Control || t == TokenType::Unknown || t == TokenType::UserDefined) {
      specials_by_byte_[static_cast<unsigned char>(text[0])].push_back(
          {text, i, t == TokenType::UserDefined});
    }
  }
  for (auto& list : specials_by_byte_) {
    std::stable_sort(list.begin(), list.end(),
                     [](const SpecialToken& a, const SpecialToken& b) { return a.text.size() > b.text.size(); });
  }
}

void Tokenizer::fail(const std::string& reason) const { throw Error(file_name_ + ": tokenizer: " + reason); }

int32_t Tokenizer::find_token(std::string_view text) const {
  const auto it = text_to_id_.find(text);
  return it == text_to_id_.end() ? -1 : it->second;
}

TokenType Tokenizer::token_type(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return TokenType::Undefined;
  return types_[static_cast<std::size_t>(id)];
}

bool Tokenizer::is_end_of_generation(int32_t id) const {
  return id >= 0 && id < vocab_size() && end_of_generation_[static_cast<std::size_t>(id)];
}

bool Tokenizer::is_control(int32_t id) const { return token_type(id) == TokenType::Control; }

bool Tokenizer::starts_fresh(int32_t id) const {
  const TokenType t = token_type(id);
  return t == TokenType::Control || t == TokenType::Unknown || t == TokenType::UserDefined;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
  // The reference tokenizers take Unicode text only, and some vocabularies have no token for
  // bytes that never occur in UTF-8 (SmolLM2 has none for 0xFF): bad bytes become U+FFFD first.
  std::string sanitized;
  if (!is_valid_utf8(text)) {
    sanitized = sanitize_utf8(text);
    text = sanitized;
  }
  std::vector<int32_t> out;
  if (add_bos && bos_ >= 0) out.push_back(bos_);
  std::size_t start = 0;  // beginning of the plain text not yet encoded
  bool after_special = true;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto& candidates = specials_by_byte_[static_cast<unsigned char>(text[i])];
    const SpecialToken* hit = nullptr;
    for (const SpecialToken& s : candidates) {
      if ((parse_special || s.always) && text.compare(i, s.text.size(), s.text) == 0) {
        hit = &s;
        break;
      }
    }
    if (hit == nullptr) {
      ++i;
      continue;
    }
    if (i > start) encode_text(text.substr(start, i - start), after_special, out);
    out.push_back(hit->id);
    after_special = true;
    i += hit->text.size();
    start = i;
  }
  if (start < text.size()) encode_text(text.substr(start), after_special, out);
  return out;
}

std::string Tokenizer::token_text(int32_t id) const { return decode_piece(id, false); }

std::string Tokenizer::decode_piece(int32_t id, bool /*at_start*/) const {
  if (id < 0 || id >= vocab_size()) return {};
  return texts_[static_cast<std::size_t>(id)];
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  bool at_start = true;
  for (const int32_t id : ids) {
    out += decode_piece(id, at_start);
    // Text after a special token starts afresh, as encode() treats it (see encode_text()).
    at_start = starts_fresh(id);
  }
  return out;
}

}  // namespace pgpp::llm
