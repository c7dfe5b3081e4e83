#include "llm/pre_tokenizer.h"

#include "llm/unicode.h"

namespace pgpp::llm {

namespace {

using Cps = std::vector<CodePoint>;

bool is_l(const CodePoint& c) { return (c.flags & kIsLetter) != 0; }
bool is_n(const CodePoint& c) { return (c.flags & kIsNumber) != 0; }
bool is_ws(const CodePoint& c) { return (c.flags & kIsWhitespace) != 0; }
bool is_crlf(const CodePoint& c) { return (c.flags & kIsCrLf) != 0; }
bool is_other(const CodePoint& c) { return (c.flags & (kIsLetter | kIsNumber | kIsWhitespace)) == 0; }

char32_t lower_ascii(char32_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

// 's 't 're 've 'm 'll 'd at i: the match length in characters, 0 if none.
std::size_t match_contraction(const Cps& cps, std::size_t i, std::size_t end, bool ignore_case) {
  if (cps[i].value != '\'' || i + 1 >= end) return 0;
  auto at = [&](std::size_t k) {
    return k < end ? (ignore_case ? lower_ascii(cps[k].value) : cps[k].value) : char32_t{0};
  };
  const char32_t a = at(i + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  const char32_t b = at(i + 2);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// Whitespace at i: \s+(?!\S) then \s+. Returns the match length (>= 1).
std::size_t match_whitespace_tail(const Cps& cps, std::size_t i, std::size_t end) {
  std::size_t k = i;
  while (k < end && is_ws(cps[k])) ++k;
  if (k == end || k - i == 1) return k - i;
  return k - i - 1;  // leave the last space to the word that follows
}

// One GPT-2 match at i (i < end). Returns its length in characters.
std::size_t match_gpt2(const Cps& cps, std::size_t i, std::size_t end) {
  if (std::size_t n = match_contraction(cps, i, end, false)) return n;
  std::size_t j = i;
  if (cps[j].value == ' ' && j + 1 < end) ++j;
  const CodePoint& c = cps[j];
  if (j > i || !is_ws(c)) {
    std::size_t k = j;
    if (is_l(c)) {
      while (k < end && is_l(cps[k])) ++k;
      return k - i;
    }
    if (is_n(c)) {
      while (k < end && is_n(cps[k])) ++k;
      return k - i;
    }
    if (is_other(c)) {
      while (k < end && is_other(cps[k])) ++k;
      return k - i;
    }
  }
  return match_whitespace_tail(cps, i, end);
}

// One Llama 3 / Qwen2 match at i; `max_digits` is 3 for Llama 3 and 1 for Qwen2.
std::size_t match_llama3(const Cps& cps, std::size_t i, std::size_t end, std::size_t max_digits) {
  if (std::size_t n = match_contraction(cps, i, end, true)) return n;
  const CodePoint& c = cps[i];
  // [^\r\n\p{L}\p{N}]?\p{L}+
  {
    std::size_t j = i;
    if (!is_l(c) && !is_n(c) && !is_crlf(c) && i + 1 < end && is_l(cps[i + 1])) ++j;
    if (is_l(cps[j])) {
      while (j < end && is_l(cps[j])) ++j;
      return j - i;
    }
  }
  // \p{N}{1,max}
  if (is_n(c)) {
    std::size_t j = i;
    while (j < end && j - i < max_digits && is_n(cps[j])) ++j;
    return j - i;
  }
  // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
  {
    std::size_t j = i;
    if (c.value == ' ' && i + 1 < end) ++j;
    if (is_other(cps[j])) {
      while (j < end && is_other(cps[j])) ++j;
      while (j < end && is_crlf(cps[j])) ++j;
      return j - i;
    }
  }
  // \s*[\r\n]+ : whitespace up to and including the last line break of the run.
  std::size_t k = i;
  std::size_t last_crlf = end;
  while (k < end && is_ws(cps[k])) {
    if (is_crlf(cps[k])) last_crlf = k;
    ++k;
  }
  if (last_crlf != end) return last_crlf + 1 - i;
  return match_whitespace_tail(cps, i, end);
}

void emit(std::string_view text, const Cps& cps, std::size_t from, std::size_t to,
          std::vector<std::string_view>& words) {
  const std::size_t b = cps[from].offset;
  const std::size_t e = to < cps.size() ? cps[to].offset : text.size();
  words.push_back(text.substr(b, e - b));
}

template <typename Match>
void split_range(std::string_view text, const Cps& cps, std::size_t begin, std::size_t end,
                 Match match, std::vector<std::string_view>& words) {
  std::size_t i = begin;
  while (i < end) {
    const std::size_t n = match(cps, i, end);
    emit(text, cps, i, i + n, words);
    i += n;
  }
}

}  // namespace

bool pre_tokenizer_from_name(std::string_view name, PreTokenizer& out) {
  // Names per llama.cpp's convert_hf_to_gguf.py / llama-vocab.cpp.
  if (name == "gpt-2" || name == "gpt2" || name == "mpt" || name == "olmo" || name == "default" ||
      name.empty()) {
    out = PreTokenizer::Gpt2;
  } else if (name == "smollm" || name == "starcoder" || name == "refact" || name == "codeshell") {
    out = PreTokenizer::SmolLm;
  } else if (name == "llama-bpe" || name == "llama3" || name == "llama-v3") {
    out = PreTokenizer::Llama3;
  } else if (name == "qwen2" || name == "deepseek-r1-qwen") {
    out = PreTokenizer::Qwen2;
  } else {
    return false;
  }
  return true;
}

void pre_tokenize(PreTokenizer kind, std::string_view text, std::vector<std::string_view>& words) {
  words.clear();
  if (text.empty()) return;
  const Cps cps = decode_code_points(text);
  const std::size_t n = cps.size();
  switch (kind) {
    case PreTokenizer::Gpt2:
      split_range(text, cps, 0, n, match_gpt2, words);
      break;
    case PreTokenizer::SmolLm: {
      // Digits are isolated first; GPT-2's rule then runs on each stretch between them as on a
      // text of its own (its look-ahead stops at the stretch's end).
      std::size_t start = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (!is_n(cps[i])) continue;
        split_range(text, cps, start, i, match_gpt2, words);
        emit(text, cps, i, i + 1, words);
        start = i + 1;
      }
      split_range(text, cps, start, n, match_gpt2, words);
      break;
    }
    case PreTokenizer::Llama3:
      split_range(text, cps, 0, n,
                  [](const Cps& c, std::size_t i, std::size_t e) { return match_llama3(c, i, e, 3); },
                  words);
      break;
    case PreTokenizer::Qwen2:
      split_range(text, cps, 0, n,
                  [](const Cps& c, std::size_t i, std::size_t e) { return match_llama3(c, i, e, 1); },
                  words);
      break;
  }
}

}  // namespace pgpp::llm
