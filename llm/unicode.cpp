#include "llm/unicode.h"

#include <unicode/uchar.h>

namespace pgpp::llm {

namespace {

// Classes of the ASCII characters, computed once per call site rather than asking ICU per byte.
struct AsciiClasses {
  uint8_t flags[128];
  AsciiClasses();
};

uint8_t classify_icu(char32_t c);

AsciiClasses::AsciiClasses() {
  for (char32_t c = 0; c < 128; ++c) flags[c] = classify_icu(c);
}

uint8_t classify(char32_t c) {
  static const AsciiClasses kAscii;  // immutable after construction (thread-safe static init)
  return c < 128 ? kAscii.flags[c] : classify_icu(c);
}

uint8_t classify_icu(char32_t c) {
  uint8_t flags = 0;
  const auto cp = static_cast<UChar32>(c);
  switch (u_charType(cp)) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      flags |= kIsLetter;
      break;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      flags |= kIsNumber;
      break;
    default:
      break;
  }
  if (u_isUWhiteSpace(cp)) flags |= kIsWhitespace;
  if (c == '\r' || c == '\n') flags |= kIsCrLf;
  return flags;
}

// Decodes one UTF-8 sequence at `p` (at most `n` bytes). Returns its length, 0 if invalid.
int decode_one(const unsigned char* p, std::size_t n, char32_t& out) {
  const unsigned char b0 = p[0];
  if (b0 < 0x80) {
    out = b0;
    return 1;
  }
  int len;
  char32_t c;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, c = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, c = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, c = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (static_cast<std::size_t>(len) > n) return 0;
  for (int i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (p[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  out = c;
  return len;
}

}  // namespace

std::vector<CodePoint> decode_code_points(std::string_view text) {
  std::vector<CodePoint> out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t i = 0;
  while (i < text.size()) {
    CodePoint cp;
    cp.offset = static_cast<uint32_t>(i);
    char32_t c = 0;
    const int len = decode_one(p + i, text.size() - i, c);
    if (len == 0) {
      cp.value = 0xFFFD;
      cp.length = 1;
      cp.flags = 0;
    } else {
      cp.value = c;
      cp.length = static_cast<uint8_t>(len);
      cp.flags = classify(c);
    }
    i += cp.length;
    out.push_back(cp);
  }
  return out;
}

int utf8_sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::size_t complete_utf8_prefix(std::string_view bytes) {
  const std::size_t n = bytes.size();
  // An unfinished sequence can only be among the last 3 bytes: find the last lead byte there.
  for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto b = static_cast<unsigned char>(bytes[n - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: look further back
    if (b < 0x80) return n;
    const int want = utf8_sequence_length(b);
    if (want == 1) return n;  // a stray byte never completes: nothing to wait for
    return static_cast<std::size_t>(want) > back ? n - back : n;
  }
  return n;
}

bool is_valid_utf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t i = 0;
  while (i < bytes.size()) {
    char32_t c;
    const int len = decode_one(p + i, bytes.size() - i, c);
    if (len == 0) return false;
    i += static_cast<std::size_t>(len);
  }
  return true;
}

std::string sanitize_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t i = 0;
  while (i < bytes.size()) {
    char32_t c;
    const int len = decode_one(p + i, bytes.size() - i, c);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(bytes.substr(i, static_cast<std::size_t>(len)));
      i += static_cast<std::size_t>(len);
    }
  }
  return out;
}

ByteLevelAlphabet::ByteLevelAlphabet() {
  for (auto& v : char_to_byte_) v = -1;
  int extra = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    const char32_t c = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++);
    append_utf8(c, byte_to_text_[b]);
    char_to_byte_[c] = static_cast<int16_t>(b);
  }
}

bool ByteLevelAlphabet::decode(std::string_view text, std::string& bytes) const {
  bytes.clear();
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t i = 0;
  while (i < text.size()) {
    char32_t c;
    const int len = decode_one(p + i, text.size() - i, c);
    if (len == 0 || c >= 512 || char_to_byte_[c] < 0) return false;
    bytes += static_cast<char>(char_to_byte_[c]);
    i += static_cast<std::size_t>(len);
  }
  return true;
}

}  // namespace pgpp::llm
