#include "rag/citation_parser.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace pgpp::rag {

namespace {

// Reads "12" at text[i...]; advances i. Numbers longer than 4 digits are not citations (years
// and codes are ignored as a whole bracket instead).
std::optional<int> read_number(std::string_view s, std::size_t& i) {
  const std::size_t start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == start || i - start > 4) return std::nullopt;
  int v = 0;
  for (std::size_t j = start; j < i; ++j) v = v * 10 + (s[j] - '0');
  return v;
}

void skip_spaces(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

// The numbers inside one bracket body ("1, 2", "1-3", "Source 2"), or nothing when the body is
// not a citation list.
std::optional<std::vector<int>> parse_body(std::string_view body) {
  std::size_t i = 0;
  skip_spaces(body, i);
  for (std::string_view word : {"sources", "source", "Sources", "Source", "SOURCE"}) {
    if (body.substr(i, word.size()) == word) {
      i += word.size();
      skip_spaces(body, i);
      break;
    }
  }
  std::vector<int> numbers;
  while (true) {
    skip_spaces(body, i);
    auto first = read_number(body, i);
    if (!first) return std::nullopt;
    skip_spaces(body, i);
    int last = *first;
    // A range: "1-3" (ASCII hyphen or an en dash, U+2013 = E2 80 93).
    std::size_t dash = 0;
    if (i < body.size() && body[i] == '-') dash = 1;
    if (body.substr(i, 3) == "\xE2\x80\x93") dash = 3;
    if (dash) {
      i += dash;
      skip_spaces(body, i);
      auto to = read_number(body, i);
      if (!to || *to < *first || *to - *first > 20) return std::nullopt;
      last = *to;
    }
    for (int n = *first; n <= last; ++n) numbers.push_back(n);
    skip_spaces(body, i);
    if (i == body.size()) return numbers;
    if (body[i] != ',' && body[i] != ';') return std::nullopt;
    ++i;
  }
}

}  // namespace

ParsedCitations parse_citations(std::string_view text, int source_count) {
  ParsedCitations out;
  std::size_t pos = 0;
  while ((pos = text.find('[', pos)) != std::string_view::npos) {
    const std::size_t close = text.find(']', pos + 1);
    if (close == std::string_view::npos) break;
    const std::string_view body = text.substr(pos + 1, close - pos - 1);
    if (body.find('[') != std::string_view::npos) {  // "[x [1]": restart at the inner bracket
      pos = pos + 1 + body.find('[');
      continue;
    }
    if (auto numbers = parse_body(body)) {
      for (int n : *numbers) {
        const bool ok = n >= 1 && n <= source_count;
        out.markers.push_back({n, pos, close + 1, ok});
        auto& list = ok ? out.cited : out.out_of_range;
        if (std::find(list.begin(), list.end(), n) == list.end()) list.push_back(n);
      }
    }
    pos = close + 1;
  }
  return out;
}

}  // namespace pgpp::rag
