#include "rag/chunker.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <cmath>

#include "kernels/error.h"

namespace pgpp::rag {

struct Chunker::Unit {
  uint32_t begin, end;  // bytes in the document text
  int tokens;
};

namespace {

bool is_space_byte(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

std::string_view view(std::string_view text, uint32_t begin, uint32_t end) { return text.substr(begin, end - begin); }

}  // namespace

Chunker::Chunker(TokenCounter count_tokens, ChunkerOptions options)
    : count_(std::move(count_tokens)), options_(std::move(options)), splitter_(options_.locale) {
  if (!count_) throw Error("chunker: no token counter given");
  if (options_.max_tokens < 8) throw Error("chunker: max_tokens must be at least 8");
  if (options_.overlap < 0 || options_.overlap >= 0.5) throw Error("chunker: overlap must be in [0, 0.5)");
}

// Cuts [begin, end) into the longest runs of whole characters within the token limit.
void Chunker::cut_characters(std::string_view text, uint32_t begin, uint32_t end, std::vector<Unit>& out) {
  std::vector<uint32_t> cuts;  // code point starts, plus end
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  for (int32_t i = static_cast<int32_t>(begin); i < static_cast<int32_t>(end);) {
    cuts.push_back(static_cast<uint32_t>(i));
    U8_FWD_1(s, i, static_cast<int32_t>(end));
  }
  cuts.push_back(end);
  size_t lo = 0;
  while (lo + 1 < cuts.size()) {
    // Largest hi with count(text[cuts[lo], cuts[hi])) <= max; at least one character.
    size_t good = lo + 1, bad = cuts.size();
    if (count_(view(text, cuts[lo], cuts.back())) <= options_.max_tokens) {
      good = cuts.size() - 1;
    } else {
      while (good + 1 < bad) {
        const size_t mid = (good + bad) / 2;
        if (count_(view(text, cuts[lo], cuts[mid])) <= options_.max_tokens) {
          good = mid;
        } else {
          bad = mid;
        }
      }
    }
    const int tokens = count_(view(text, cuts[lo], cuts[good]));
    out.push_back({cuts[lo], cuts[good], tokens});
    lo = good;
  }
}

// A sentence over the limit: pieces of whole words, each within the limit.
void Chunker::split_long(std::string_view text, uint32_t begin, uint32_t end, std::vector<Unit>& out) {
  const std::vector<ByteSpan> words = splitter_.words(view(text, begin, end));
  const int max = options_.max_tokens;
  uint32_t piece_begin = 0, piece_end = 0;
  int piece_tokens = 0;
  const auto flush = [&] {
    while (piece_end > piece_begin && is_space_byte(text[piece_end - 1])) --piece_end;
    if (piece_end > piece_begin) {
      const int t = count_(view(text, piece_begin, piece_end));
      if (t <= max) {
        out.push_back({piece_begin, piece_end, t});
      } else {
        cut_characters(text, piece_begin, piece_end, out);
      }
    }
    piece_tokens = 0;
  };
  for (const ByteSpan& w : words) {
    const uint32_t wb = begin + w.first, we = begin + w.second;
    const int t = count_(view(text, wb, we));
    if (t > max) {
      flush();
      uint32_t trimmed = we;
      while (trimmed > wb && is_space_byte(text[trimmed - 1])) --trimmed;
      if (trimmed > wb) cut_characters(text, wb, trimmed, out);
      piece_begin = piece_end = we;
      continue;
    }
    if (piece_tokens > 0 && piece_tokens + t > max) {
      flush();
      piece_begin = wb;
    }
    if (piece_tokens == 0) piece_begin = wb;
    piece_end = we;
    piece_tokens += t;
  }
  flush();
}

ChunkedDocument Chunker::chunk(const PdfDocument& doc) {
  ChunkedDocument out;
  out.pages.resize(doc.pages.size());
  // The document's text: normalized pages joined by '\n' (which also ends a sentence).
  std::string text;
  std::vector<uint32_t> page_start(doc.pages.size());
  for (size_t i = 0; i < doc.pages.size(); ++i) {
    page_start[i] = static_cast<uint32_t>(text.size());
    if (doc.pages[i].status == PageStatus::kText) {
      out.pages[i] = normalize_text(doc.pages[i].text);
      text += out.pages[i].text;
    }
    if (i + 1 < doc.pages.size()) text += '\n';
  }

  std::vector<Unit> units;
  for (const ByteSpan& s : splitter_.sentences(text)) {
    const int t = count_(view(text, s.first, s.second));
    if (t <= options_.max_tokens) {
      units.push_back({s.first, s.second, t});
    } else {
      split_long(text, s.first, s.second, units);
    }
  }

  const auto page_of = [&](uint32_t offset) {
    return static_cast<size_t>(std::upper_bound(page_start.begin(), page_start.end(), offset) - page_start.begin()) - 1;
  };
  const int max = options_.max_tokens;
  const int overlap_budget = static_cast<int>(std::floor(max * options_.overlap));
  for (size_t i = 0; i < units.size();) {
    size_t j = i;
    int sum = 0;
    while (j < units.size() && (j == i || sum + units[j].tokens <= max)) sum += units[j++].tokens;
    // Token counts of pieces do not always add up exactly: check the joined text.
    int tokens = count_(view(text, units[i].begin, units[j - 1].end));
    while (tokens > max && j - 1 > i) {
      --j;
      tokens = count_(view(text, units[i].begin, units[j - 1].end));
    }
    Passage p;
    p.ordinal = static_cast<int>(out.passages.size());
    p.text = std::string(view(text, units[i].begin, units[j - 1].end));
    p.tokens = tokens;
    const uint32_t b = units[i].begin, e = units[j - 1].end;
    const size_t pf = page_of(b), pl = page_of(e - 1);
    p.page_first = doc.pages[pf].number;
    p.page_last = doc.pages[pl].number;
    p.begin = b - page_start[pf];
    p.end = e - page_start[pl];
    for (size_t pg = pf; pg <= pl; ++pg) {
      const NormalizedText& nt = out.pages[pg];
      const uint32_t lb = pg == pf ? p.begin : 0;
      const uint32_t le = pg == pl ? p.end : static_cast<uint32_t>(nt.text.size());
      if (le <= lb || nt.text.empty()) continue;
      const auto [sb, se] = nt.to_source(lb, le);
      for (const PageWord& w : doc.pages[pg].words) {
        if (w.begin < se && w.end > sb) p.boxes.push_back({doc.pages[pg].number, w.box});
      }
    }
    out.passages.push_back(std::move(p));
    if (j >= units.size()) break;
    // Next passage starts with the last whole sentences of this one that fit the overlap.
    size_t k = j;
    int kept = 0;
    while (k - 1 > i && kept + units[k - 1].tokens <= overlap_budget) kept += units[--k].tokens;
    i = k;
  }
  return out;
}

}  // namespace pgpp::rag
