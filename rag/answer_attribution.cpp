#include "rag/answer_attribution.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <set>

#include "rag/citation_parser.h"

namespace pgpp::rag {

namespace {

// Lower-cased words of letters and digits; case folding is enough here because the answer
// copies the source's wording.
std::set<std::string> words_of(std::string_view text) {
  std::set<std::string> words;
  std::string word;
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t n = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c >= 0 && (u_isalnum(c) != 0)) {
      c = u_tolower(c);
      char buf[4];
      int32_t len = 0;
      UBool error = false;
      U8_APPEND(reinterpret_cast<uint8_t*>(buf), len, 4, c, error);
      if (!error) word.append(buf, static_cast<std::size_t>(len));
    } else if (!word.empty()) {
      words.insert(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.insert(std::move(word));
  return words;
}

// Sentence spans: a sentence ends after '.', '!', '?' or a line break followed by space or the
// end. Good enough for a model's plain reply; ICU's rules would also split "e.g." wrongly here.
std::vector<std::pair<std::size_t, std::size_t>> sentence_spans(std::string_view text) {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool end_mark = c == '.' || c == '!' || c == '?';
    const bool at_break = i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\n';
    if (c == '\n' || (end_mark && at_break)) {
      if (i + 1 > begin) spans.emplace_back(begin, i + 1);
      begin = i + 1;
    }
  }
  if (begin < text.size()) spans.emplace_back(begin, text.size());
  return spans;
}

}  // namespace

std::vector<MatchedCitation> match_uncited_sentences(std::string_view answer,
                                                     const std::vector<std::string>& source_texts,
                                                     AttributionOptions options) {
  std::vector<MatchedCitation> out;
  if (source_texts.empty()) return out;
  std::vector<std::set<std::string>> source_words;
  source_words.reserve(source_texts.size());
  for (const auto& t : source_texts) source_words.push_back(words_of(t));
  const int count = static_cast<int>(source_texts.size());
  for (const auto& [begin, end] : sentence_spans(answer)) {
    const std::string_view sentence = answer.substr(begin, end - begin);
    if (!parse_citations(sentence, count).markers.empty()) continue;  // the model cited it
    const std::set<std::string> words = words_of(sentence);
    if (words.size() < options.min_words) continue;
    MatchedCitation best;
    for (int s = 0; s < count; ++s) {
      std::size_t found = 0;
      for (const auto& w : words) found += source_words[static_cast<std::size_t>(s)].count(w);
      const double overlap = static_cast<double>(found) / static_cast<double>(words.size());
      if (overlap > best.overlap) best = {s + 1, begin, end, overlap};
    }
    if (best.number > 0 && best.overlap >= options.min_overlap) out.push_back(best);
  }
  return out;
}

}  // namespace pgpp::rag
