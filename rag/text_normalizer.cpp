#include "rag/text_normalizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include "kernels/error.h"

namespace pgpp::rag {

namespace {

struct Char {
  char32_t c;
  uint32_t begin, end;  // source bytes
};

bool is_space(char32_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0x0B || c == 0x0C || c == 0xA0 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F || c == 0x3000 || c == 0x2028 ||
         c == 0x2029 || c == 0x85;
}

bool is_dropped(char32_t c) {
  return c == 0xAD /* soft hyphen */ || c == 0x200B || c == 0x200C || c == 0x200D || c == 0x2060 ||
         c == 0xFEFF || c == 0;
}

// Typographic ligatures: NFKC would expand them, but NFKC also folds superscripts, fractions and
// full-width forms that carry meaning in manuals, so only these are expanded.
const char* ligature(char32_t c) {
  switch (c) {
    case 0xFB00: return "ff";
    case 0xFB01: return "fi";
    case 0xFB02: return "fl";
    case 0xFB03: return "ffi";
    case 0xFB04: return "ffl";
    case 0xFB05: return "st";  // long s + t
    case 0xFB06: return "st";
    default: return nullptr;
  }
}

bool is_hyphen(char32_t c) { return c == '-' || c == 0x2010; }

void append_utf8(NormalizedText& out, char32_t c, uint32_t begin, uint32_t end) {
  char buf[4];
  int32_t n = 0;
  UBool error = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buf), n, 4, static_cast<UChar32>(c), error);
  if (error) return;
  out.text.append(buf, static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    out.source_begin.push_back(begin);
    out.source_end.push_back(end);
  }
}

char32_t last_char(const std::string& text) {
  if (text.empty()) return 0;
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  int32_t start = static_cast<int32_t>(text.size());
  const int32_t end = start;
  U8_BACK_1(p, 0, start);
  UChar32 c;
  U8_NEXT(p, start, end, c);
  return c < 0 ? 0xFFFD : static_cast<char32_t>(c);
}

}  // namespace

bool is_unspaced_script(char32_t c) {
  UErrorCode err = U_ZERO_ERROR;
  const UScriptCode s = uscript_getScript(static_cast<UChar32>(c), &err);
  switch (s) {
    case USCRIPT_HAN:
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_THAI:
    case USCRIPT_LAO:
    case USCRIPT_KHMER:
    case USCRIPT_MYANMAR:
    case USCRIPT_TIBETAN:
      return true;
    default:
      // CJK punctuation and full-width forms (Common script) sit between CJK characters too.
      return (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF) || c == 0x30FC;
  }
}

NormalizedText normalize_text(std::string_view source) {
  // 1. Decode; drop invisible characters; expand ligatures.
  std::vector<Char> chars;
  chars.reserve(source.size());
  const auto* s = reinterpret_cast<const uint8_t*>(source.data());
  const auto n = static_cast<int32_t>(source.size());
  for (int32_t i = 0; i < n;) {
    const auto begin = static_cast<uint32_t>(i);
    UChar32 c;
    U8_NEXT(s, i, n, c);
    const auto end = static_cast<uint32_t>(i);
    if (c < 0) c = 0xFFFD;  // invalid UTF-8 from a broken text layer: keep it visible
    if (is_dropped(static_cast<char32_t>(c))) continue;
    if (const char* lig = ligature(static_cast<char32_t>(c))) {
      for (const char* p = lig; *p; ++p) chars.push_back({static_cast<char32_t>(*p), begin, end});
      continue;
    }
    chars.push_back({static_cast<char32_t>(c), begin, end});
  }

  // 2. NFC, one segment (a starter and what combines with it) at a time so that every output
  //    character keeps the source span of its segment.
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(err);
  if (U_FAILURE(err)) throw Error(std::string("ICU: NFC normalizer unavailable: ") + u_errorName(err));
  bool needs_nfc = false;
  for (const Char& ch : chars) {
    if (!nfc->isInert(static_cast<UChar32>(ch.c))) {
      needs_nfc = true;
      break;
    }
  }
  if (needs_nfc) {
    std::vector<Char> composed;
    composed.reserve(chars.size());
    for (size_t i = 0; i < chars.size();) {
      size_t j = i + 1;
      while (j < chars.size() && !nfc->hasBoundaryBefore(static_cast<UChar32>(chars[j].c))) ++j;
      icu::UnicodeString seg;
      for (size_t k = i; k < j; ++k) seg.append(static_cast<UChar32>(chars[k].c));
      icu::UnicodeString norm = nfc->normalize(seg, err);
      if (U_FAILURE(err)) throw Error(std::string("ICU: NFC failed: ") + u_errorName(err));
      for (int32_t k = 0; k < norm.length();) {
        const UChar32 c = norm.char32At(k);
        composed.push_back({static_cast<char32_t>(c), chars[i].begin, chars[j - 1].end});
        k += U16_LENGTH(c);
      }
      i = j;
    }
    chars.swap(composed);
  }

  // 3. Line-end hyphens and whitespace.
  NormalizedText out;
  out.text.reserve(source.size());
  out.source_begin.reserve(source.size());
  out.source_end.reserve(source.size());
  char32_t last = 0;  // last character emitted
  for (size_t i = 0; i < chars.size();) {
    const Char& ch = chars[i];
    // "word-\nword": a hyphen at a line end between lowercase letters is a break, not a dash.
    if (is_hyphen(ch.c) && u_isalpha(static_cast<UChar32>(last))) {
      size_t j = i + 1;
      while (j < chars.size() && (chars[j].c == ' ' || chars[j].c == '\t')) ++j;
      if (j < chars.size() && chars[j].c == '\n') {
        size_t k = j;
        while (k < chars.size() && is_space(chars[k].c)) ++k;
        int newlines = 0;
        for (size_t m = j; m < k; ++m) newlines += chars[m].c == '\n';
        if (newlines == 1 && k < chars.size() && u_islower(static_cast<UChar32>(last)) &&
            u_islower(static_cast<UChar32>(chars[k].c))) {
          i = k;  // drop the hyphen and the line break
          continue;
        }
      }
    }
    if (is_space(ch.c)) {
      size_t j = i;
      int newlines = 0;
      while (j < chars.size() && is_space(chars[j].c)) {
        newlines += chars[j].c == '\n' || chars[j].c == 0x2029;
        ++j;
      }
      if (last != 0 && j < chars.size()) {  // no leading or trailing whitespace
        const char32_t next = chars[j].c;
        if (newlines >= 2) {
          append_utf8(out, '\n', ch.begin, chars[j - 1].end);
        } else if (!(newlines <= 1 && is_unspaced_script(last) && is_unspaced_script(next))) {
          // Between two characters of an unspaced script a line break or a space is layout
          // (justified Chinese is often drawn one character per "word"), not a word boundary.
          append_utf8(out, ' ', ch.begin, chars[j - 1].end);
        }
      }
      last = last_char(out.text);
      i = j;
      continue;
    }
    append_utf8(out, ch.c, ch.begin, ch.end);
    last = ch.c;
    ++i;
  }
  return out;
}

}  // namespace pgpp::rag
