#include "llm/bpe_tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <queue>

#include "kernels/error.h"

namespace pgpp::llm {

namespace {

std::string to_nfc(std::string_view text) {
  bool ascii = true;
  for (const char c : text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) return std::string(text);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return std::string(text);
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  const icu::UnicodeString out = nfc->normalize(in, status);
  if (U_FAILURE(status)) return std::string(text);
  std::string result;
  out.toUTF8String(result);
  return result;
}

}  // namespace

BpeTokenizer::BpeTokenizer(const kernels::GgufFile& file) : Tokenizer(file, "gpt2") {
  const std::string pre = file.get_string_or("tokenizer.ggml.pre", "");
  if (!pre_tokenizer_from_name(pre, pre_)) {
    fail("pre-tokenizer '" + pre + "' (tokenizer.ggml.pre) is not supported (we know gpt-2, smollm, "
         "llama-bpe and qwen2)");
  }
  ignore_merges_ = pre_ == PreTokenizer::Llama3;
  normalize_nfc_ = pre_ == PreTokenizer::Qwen2;
  // llama.cpp's defaults when the file does not say: Llama 3 starts with BOS, others don't.
  add_bos_ = file.get_bool_or("tokenizer.ggml.add_bos_token", pre_ == PreTokenizer::Llama3);

  pieces_.resize(texts_.size());
  for (std::size_t i = 0; i < texts_.size(); ++i) {
    const TokenType t = types_[i];
    if ((t == TokenType::Normal || t == TokenType::Byte) && alphabet_.decode(texts_[i], pieces_[i])) {
      piece_to_id_.emplace(pieces_[i], static_cast<int32_t>(i));
    } else {
      pieces_[i] = texts_[i];
    }
  }
  for (int b = 0; b < 256; ++b) {
    const int32_t id = find_token(alphabet_.encode(static_cast<unsigned char>(b)));
    byte_token_[b] = id >= 0 ? id : unk_;
  }

  const auto& merges = file.get_strings("tokenizer.ggml.merges");
  merges_.reserve(merges.size());
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& m = merges[rank];
    const std::size_t space = m.find(' ', 1);
    if (space == std::string::npos) fail("merge " + std::to_string(rank) + " ('" + m + "') has no space");
    const std::string left = m.substr(0, space);
    const std::string right = m.substr(space + 1);
    const int32_t l = find_token(left);
    const int32_t r = find_token(right);
    const int32_t result = find_token(left + right);
    if (l < 0 || r < 0 || result < 0) continue;  // a merge the vocabulary cannot express
    merges_.emplace(pair_key(l, r), Merge{static_cast<int32_t>(rank), result});
  }
}

void BpeTokenizer::encode_text(std::string_view text, bool /*after_special*/, std::vector<int32_t>& out) const {
  std::string normalized;
  if (normalize_nfc_) {
    normalized = to_nfc(text);
    text = normalized;
  }
  std::vector<std::string_view> words;
  pre_tokenize(pre_, text, words);
  for (const std::string_view w : words) encode_word(w, out);
}

void BpeTokenizer::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_ || word.size() == 1) {
    const auto it = piece_to_id_.find(std::string(word));
    if (it != piece_to_id_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  // Symbols in a doubly linked list over the word's bytes; candidate merges in a heap ordered
  // by (rank, position), so the lowest rank wins and ties go to the leftmost pair — the order
  // HF tokenizers applies them in.
  const int n = static_cast<int>(word.size());
  std::vector<int32_t> ids(static_cast<std::size_t>(n));
  std::vector<int> prev(static_cast<std::size_t>(n)), next(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    ids[static_cast<std::size_t>(i)] = byte_token_[static_cast<unsigned char>(word[static_cast<std::size_t>(i)])];
    prev[static_cast<std::size_t>(i)] = i - 1;
    next[static_cast<std::size_t>(i)] = i + 1 < n ? i + 1 : -1;
  }
  struct Candidate {
    int32_t rank;
    int left;
    int32_t left_id;
    int32_t right_id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto consider = [&](int left) {
    if (left < 0) return;
    const int right = next[static_cast<std::size_t>(left)];
    if (right < 0) return;
    const int32_t a = ids[static_cast<std::size_t>(left)];
    const int32_t b = ids[static_cast<std::size_t>(right)];
    const auto it = merges_.find(pair_key(a, b));
    if (it != merges_.end()) heap.push({it->second.rank, left, a, b});
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    const auto left = static_cast<std::size_t>(c.left);
    if (ids[left] != c.left_id) continue;  // stale: this symbol changed or was merged away
    const int right = next[left];
    if (right < 0 || ids[static_cast<std::size_t>(right)] != c.right_id) continue;
    ids[left] = merges_.at(pair_key(c.left_id, c.right_id)).result;
    const int after = next[static_cast<std::size_t>(right)];
    next[left] = after;
    if (after >= 0) prev[static_cast<std::size_t>(after)] = c.left;
    ids[static_cast<std::size_t>(right)] = -1;
    consider(prev[left]);
    consider(c.left);
  }
  for (int i = 0; i >= 0; i = next[static_cast<std::size_t>(i)]) out.push_back(ids[static_cast<std::size_t>(i)]);
}

std::string BpeTokenizer::decode_piece(int32_t id, bool /*at_start*/) const {
  if (id < 0 || id >= vocab_size()) return {};
  return pieces_[static_cast<std::size_t>(id)];
}

}  // namespace pgpp::llm
