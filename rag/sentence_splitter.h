#pragma once
// Sentence and word boundaries from ICU, over UTF-8 text, as byte spans.
//
// Sentences use ICU's rules with the locale's abbreviation list switched on ("ss=standard":
// "e.g. this" or "Dr. Smith" is not a break). Chinese and Japanese end sentences with 。！？,
// which the same rules handle without spaces. Line feeds (the normalizer's paragraph marks) always
// end a sentence.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgpp::rag {

using ByteSpan = std::pair<uint32_t, uint32_t>;  // [begin, end) in bytes

class SentenceSplitter {
 public:
  // locale: a BCP-47 / ICU locale name ("en", "de", "ja"); its abbreviation list is used.
  explicit SentenceSplitter(const std::string& locale = "en");
  ~SentenceSplitter();
  SentenceSplitter(SentenceSplitter&&) noexcept;
  SentenceSplitter& operator=(SentenceSplitter&&) noexcept;

  // Non-empty sentences of text, surrounding whitespace excluded.
  std::vector<ByteSpan> sentences(std::string_view text);
  // Word-boundary pieces of text (each word with the spaces and punctuation after it), for
  // cutting a sentence that is too long.
  std::vector<ByteSpan> words(std::string_view text);

 private:
  struct Iterators;  // ICU break iterators; kept out of the header
  std::unique_ptr<Iterators> it_;
};

}  // namespace pgpp::rag
