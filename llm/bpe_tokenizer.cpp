#include "llm/bpe_tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <functional>

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

struct Candidate {
  int32_t rank;
  int left;
  int32_t left_id;
  int32_t right_id;
  int32_t result;
  bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
};

}  // namespace

struct BpeTokenizer::Scratch {
  std::vector<int32_t> ids;
  std::vector<int> prev;
  std::vector<int> next;
  std::vector<Candidate> heap;  // a binary heap kept with std::push_heap / std::pop_heap
};

void BpeTokenizer::MergeTable::build(const std::vector<std::pair<uint64_t, Merge>>& entries) {
  std::size_t capacity = 16;
  while (capacity < entries.size() * 2) capacity <<= 1;
  slots_.assign(capacity, Slot{kEmpty, Merge{0, 0}});
  mask_ = capacity - 1;
  for (const auto& [key, merge] : entries) {
    std::size_t i = mix(key) & mask_;
    while (slots_[i].key != kEmpty && slots_[i].key != key) i = (i + 1) & mask_;
    if (slots_[i].key == key) continue;  // a repeated pair keeps its first (lowest) rank
    slots_[i] = Slot{key, merge};
  }
}

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
  std::vector<std::pair<uint64_t, Merge>> table;
  table.reserve(merges.size());
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
    table.emplace_back(pair_key(l, r), Merge{static_cast<int32_t>(rank), result});
  }
  merges_.build(table);
}

void BpeTokenizer::encode_text(std::string_view text, bool /*after_special*/, std::vector<int32_t>& out) const {
  std::string normalized;
  if (normalize_nfc_) {
    normalized = to_nfc(text);
    text = normalized;
  }
  std::vector<std::string_view> words;
  pre_tokenize(pre_, text, words);
  Scratch scratch;
  for (const std::string_view w : words) encode_word(w, scratch, out);
}

void BpeTokenizer::encode_word(std::string_view word, Scratch& scratch, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_ || word.size() == 1) {
    const auto it = piece_to_id_.find(word);
    if (it != piece_to_id_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  // Symbols in a doubly linked list over the word's bytes; candidate merges in a heap ordered
  // by (rank, position), so the lowest rank wins and ties go to the leftmost pair — the order
  // HF tokenizers applies them in.
  const int n = static_cast<int>(word.size());
  auto& ids = scratch.ids;
  auto& prev = scratch.prev;
  auto& next = scratch.next;
  auto& heap = scratch.heap;
  ids.resize(static_cast<std::size_t>(n));
  prev.resize(static_cast<std::size_t>(n));
  next.resize(static_cast<std::size_t>(n));
  heap.clear();
  for (int i = 0; i < n; ++i) {
    ids[static_cast<std::size_t>(i)] = byte_token_[static_cast<unsigned char>(word[static_cast<std::size_t>(i)])];
    prev[static_cast<std::size_t>(i)] = i - 1;
    next[static_cast<std::size_t>(i)] = i + 1 < n ? i + 1 : -1;
  }
  const auto later = std::greater<Candidate>();
  auto consider = [&](int left) {
    if (left < 0) return;
    const int right = next[static_cast<std::size_t>(left)];
    if (right < 0) return;
    const int32_t a = ids[static_cast<std::size_t>(left)];
    const int32_t b = ids[static_cast<std::size_t>(right)];
    const Merge* m = merges_.find(pair_key(a, b));
    if (m == nullptr) return;
    heap.push_back({m->rank, left, a, b, m->result});
    std::push_heap(heap.begin(), heap.end(), later);
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const Candidate c = heap.back();
    heap.pop_back();
    const auto left = static_cast<std::size_t>(c.left);
    if (ids[left] != c.left_id) continue;  // stale: this symbol changed or was merged away
    const int right = next[left];
    if (right < 0 || ids[static_cast<std::size_t>(right)] != c.right_id) continue;
    ids[left] = c.result;
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
