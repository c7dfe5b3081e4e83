#include "llm/sentencepiece_tokenizer.h"

#include <cstdio>
#include <queue>

#include "llm/unicode.h"

namespace pgpp::llm {

namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

std::string escape_spaces(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (const char c : text) {
    if (c == ' ') {
      out += kSpaceMarker;
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape_spaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, kSpaceMarker.size(), kSpaceMarker) == 0) {
      out += ' ';
      i += kSpaceMarker.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

// "<0x41>" -> 0x41; -1 when `text` is not a byte token.
int parse_byte_token(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  int v = 0;
  for (std::size_t i = 3; i < 5; ++i) {
    const char c = text[i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= c - '0';
    } else if (c >= 'A' && c <= 'F') {
      v |= c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      v |= c - 'a' + 10;
    } else {
      return -1;
    }
  }
  return v;
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const kernels::GgufFile& file) : Tokenizer(file, "llama") {
  // llama.cpp's defaults for this model type when the file does not say.
  add_bos_ = file.get_bool_or("tokenizer.ggml.add_bos_token", true);
  add_space_prefix_ = file.get_bool_or("tokenizer.ggml.add_space_prefix", true);
  scores_.assign(texts_.size(), 0.0f);
  if (file.has("tokenizer.ggml.scores")) {
    const auto& s = file.get_floats("tokenizer.ggml.scores");
    if (s.size() != texts_.size()) {
      fail("tokenizer.ggml.scores has " + std::to_string(s.size()) + " entries for " +
           std::to_string(texts_.size()) + " tokens");
    }
    for (std::size_t i = 0; i < s.size(); ++i) scores_[i] = static_cast<float>(s[i]);
  }
  for (auto& b : byte_token_) b = -1;
  pieces_.resize(texts_.size());
  for (std::size_t i = 0; i < texts_.size(); ++i) {
    const int byte = types_[i] == TokenType::Byte ? parse_byte_token(texts_[i]) : -1;
    if (byte >= 0) {
      pieces_[i] = std::string(1, static_cast<char>(byte));
      byte_token_[byte] = static_cast<int32_t>(i);
    } else if (types_[i] == TokenType::Normal || types_[i] == TokenType::UserDefined ||
               types_[i] == TokenType::Unused) {
      pieces_[i] = unescape_spaces(texts_[i]);
    } else {
      pieces_[i] = texts_[i];
    }
  }
}

int32_t SentencePieceTokenizer::mergeable(std::string_view text) const {
  const int32_t id = find_token(text);
  if (id < 0) return -1;
  const TokenType t = types_[static_cast<std::size_t>(id)];
  return (t == TokenType::Normal || t == TokenType::UserDefined) ? id : -1;
}

void SentencePieceTokenizer::encode_text(std::string_view text, bool after_special,
                                         std::vector<int32_t>& out) const {
  std::string s;
  if (add_space_prefix_ && after_special) s = kSpaceMarker;
  s += escape_spaces(text);
  if (s.empty()) return;

  // Symbols: one per UTF-8 character, in a linked list; candidate merges in a heap ordered by
  // score (highest first), ties to the leftmost pair.
  struct Symbol {
    std::size_t begin;
    std::size_t length;
    int prev;
    int next;
  };
  std::vector<Symbol> sym;
  for (const CodePoint& c : decode_code_points(s)) {  // a stray byte is a symbol of its own
    const int idx = static_cast<int>(sym.size());
    sym.push_back({c.offset, c.length, idx - 1, -1});
    if (idx > 0) sym[static_cast<std::size_t>(idx - 1)].next = idx;
  }
  struct Candidate {
    float score;
    int left;
    std::size_t length;  // the joined length when pushed: a changed pair is stale
    bool operator<(const Candidate& o) const { return score != o.score ? score < o.score : left > o.left; }
  };
  std::priority_queue<Candidate> heap;
  auto consider = [&](int left) {
    if (left < 0) return;
    const Symbol& a = sym[static_cast<std::size_t>(left)];
    if (a.next < 0) return;
    const Symbol& b = sym[static_cast<std::size_t>(a.next)];
    const std::size_t joined = a.length + b.length;
    const int32_t id = mergeable(std::string_view(s).substr(a.begin, joined));
    if (id >= 0) heap.push({scores_[static_cast<std::size_t>(id)], left, joined});
  };
  for (int i = 0; i + 1 < static_cast<int>(sym.size()); ++i) consider(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    Symbol& a = sym[static_cast<std::size_t>(c.left)];
    if (a.length == 0 || a.next < 0) continue;
    Symbol& b = sym[static_cast<std::size_t>(a.next)];
    if (a.length + b.length != c.length) continue;  // stale
    a.length += b.length;
    b.length = 0;
    a.next = b.next;
    if (a.next >= 0) sym[static_cast<std::size_t>(a.next)].prev = c.left;
    consider(a.prev);
    consider(c.left);
  }
  for (int i = 0; i >= 0; i = sym[static_cast<std::size_t>(i)].next) {
    const Symbol& x = sym[static_cast<std::size_t>(i)];
    const std::string_view piece = std::string_view(s).substr(x.begin, x.length);
    const int32_t id = mergeable(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (const char ch : piece) {
      const int32_t b = byte_token_[static_cast<unsigned char>(ch)];
      out.push_back(b >= 0 ? b : unk_);
    }
  }
}

std::string SentencePieceTokenizer::decode_piece(int32_t id, bool at_start) const {
  if (id < 0 || id >= vocab_size()) return {};
  const std::string& p = pieces_[static_cast<std::size_t>(id)];
  if (at_start && add_space_prefix_ && !p.empty() && p[0] == ' ' &&
      types_[static_cast<std::size_t>(id)] == TokenType::Normal) {
    return p.substr(1);
  }
  return p;
}

}  // namespace pgpp::llm
