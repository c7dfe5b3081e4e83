#include "rag/sentence_splitter.h"

#include <unicode/brkiter.h>
#include <unicode/utext.h>

#include <cctype>

#include "kernels/error.h"

namespace pgpp::rag {

struct SentenceSplitter::Iterators {
  std::unique_ptr<icu::BreakIterator> sentence;
  std::unique_ptr<icu::BreakIterator> word;
};

namespace {

bool is_space_byte(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Runs `it` over UTF-8 text through a UText, so boundaries come back as byte offsets.
std::vector<uint32_t> boundaries(icu::BreakIterator& it, std::string_view text) {
  UErrorCode err = U_ZERO_ERROR;
  UText* ut = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &err);
  if (U_FAILURE(err)) throw Error(std::string("ICU: cannot open text: ") + u_errorName(err));
  it.setText(ut, err);
  std::vector<uint32_t> out;
  if (U_SUCCESS(err)) {
    for (int32_t b = it.first(); b != icu::BreakIterator::DONE; b = it.next()) out.push_back(static_cast<uint32_t>(b));
  }
  // The iterator keeps a pointer to the UText: point it at nothing before closing it.
  it.setText(icu::UnicodeString());
  utext_close(ut);
  if (U_FAILURE(err)) throw Error(std::string("ICU: break iteration failed: ") + u_errorName(err));
  return out;
}

}  // namespace

SentenceSplitter::SentenceSplitter(const std::string& locale) : it_(std::make_unique<Iterators>()) {
  UErrorCode err = U_ZERO_ERROR;
  // "@ss=standard" wraps the rules in ICU's FilteredBreakIterator with the locale's
  // abbreviations (CLDR "suppressions": Mr., e.g., z.B., ...).
  it_->sentence.reset(icu::BreakIterator::createSentenceInstance(icu::Locale((locale + "@ss=standard").c_str()), err));
  if (U_FAILURE(err) || !it_->sentence) {
    throw Error("ICU: no sentence break rules for locale " + locale + " (" + u_errorName(err) + ")");
  }
  err = U_ZERO_ERROR;
  it_->word.reset(icu::BreakIterator::createWordInstance(icu::Locale(locale.c_str()), err));
  if (U_FAILURE(err) || !it_->word) throw Error("ICU: no word break rules for locale " + locale);
}

SentenceSplitter::~SentenceSplitter() = default;
SentenceSplitter::SentenceSplitter(SentenceSplitter&&) noexcept = default;
SentenceSplitter& SentenceSplitter::operator=(SentenceSplitter&&) noexcept = default;

std::vector<ByteSpan> SentenceSplitter::sentences(std::string_view text) {
  const std::vector<uint32_t> b = boundaries(*it_->sentence, text);
  std::vector<ByteSpan> out;
  for (size_t i = 0; i + 1 < b.size(); ++i) {
    uint32_t begin = b[i], end = b[i + 1];
    while (begin < end && is_space_byte(text[begin])) ++begin;
    while (end > begin && is_space_byte(text[end - 1])) --end;
    if (end > begin) out.emplace_back(begin, end);
  }
  return out;
}

std::vector<ByteSpan> SentenceSplitter::words(std::string_view text) {
  const std::vector<uint32_t> b = boundaries(*it_->word, text);
  // A piece starts at a word and runs up to the next word: "word, " stays together.
  std::vector<ByteSpan> out;
  for (size_t i = 0; i + 1 < b.size(); ++i) {
    const bool starts_with_space = is_space_byte(text[b[i]]);
    const bool is_punct_only = (b[i + 1] - b[i] == 1) && std::ispunct(static_cast<unsigned char>(text[b[i]]));
    if (!out.empty() && (starts_with_space || is_punct_only)) {
      out.back().second = b[i + 1];
    } else {
      out.emplace_back(b[i], b[i + 1]);
    }
  }
  return out;
}

}  // namespace pgpp::rag
