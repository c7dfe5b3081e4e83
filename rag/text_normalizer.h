#pragma once
// Cleans a page's extracted text for search and chunking, remembering where every byte of the
// result came from so that a passage can be traced back to the PDF's word boxes.
//
// Steps: typographic ligatures (U+FB00..FB06) expanded; NFC; soft hyphens and zero-width
// characters dropped; words hyphenated at a line end joined ("docu-\nment" -> "document" when
// both sides are lowercase letters); whitespace collapsed: a blank line (paragraph) becomes
// '\n', a single line break or run of spaces becomes ' ', or nothing between two characters of
// scripts written without spaces (Han, kana, Thai, ...).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pgpp::rag {

struct NormalizedText {
  std::string text;  // UTF-8
  // For each byte of text: the byte span [source_begin, source_end) in the source of the
  // character it came from.
  std::vector<uint32_t> source_begin;
  std::vector<uint32_t> source_end;

  // The source byte span covered by the normalized byte span [begin, end) (end > begin).
  std::pair<uint32_t, uint32_t> to_source(uint32_t begin, uint32_t end) const {
    return {source_begin[begin], source_end[end - 1]};
  }
};

NormalizedText normalize_text(std::string_view source);

// True for code points of scripts written without spaces between words.
bool is_unspaced_script(char32_t c);

}  // namespace pgpp::rag
