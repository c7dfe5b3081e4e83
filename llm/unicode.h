#pragma once
// The little Unicode the tokenizers need: UTF-8 decoding that keeps byte offsets, the character
// classes their split rules are written in (\p{L}, \p{N}, \s — from ICU's character database),
// and GPT-2's reversible byte <-> printable-character table.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pgpp::llm {

// One character of a text: where its bytes are and which classes it belongs to. A byte that is
// not part of valid UTF-8 becomes a character of its own with no class, so no input is refused.
struct CodePoint {
  char32_t value = 0;
  uint32_t offset = 0;  // byte offset in the text
  uint8_t length = 0;   // bytes
  uint8_t flags = 0;    // kIs* bits below
};

inline constexpr uint8_t kIsLetter = 1;      // \p{L}: general category L*
inline constexpr uint8_t kIsNumber = 2;      // \p{N}: Nd, Nl, No
inline constexpr uint8_t kIsWhitespace = 4;  // \s: the Unicode White_Space property
inline constexpr uint8_t kIsCrLf = 8;        // '\r' or '\n'

// Decodes `text` into characters (see CodePoint for invalid bytes).
std::vector<CodePoint> decode_code_points(std::string_view text);

// Length in bytes of the UTF-8 sequence that begins with `lead` (1 for stray bytes).
int utf8_sequence_length(unsigned char lead);

// Appends the UTF-8 encoding of `c` to `out`.
void append_utf8(char32_t c, std::string& out);

// The length of the longest prefix of `bytes` that does not end inside an unfinished UTF-8
// sequence: what a streaming reader may show now without cutting a character in half.
std::size_t complete_utf8_prefix(std::string_view bytes);

// True when `bytes` is well-formed UTF-8.
bool is_valid_utf8(std::string_view bytes);

// `bytes` with each byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string sanitize_utf8(std::string_view bytes);

// GPT-2's byte-level alphabet: each of the 256 bytes has a printable stand-in character
// (printable Latin-1 bytes stand for themselves, the others map to U+0100 upwards), so vocab
// and merges can be stored as text. Per openai/gpt-2 encoder.py bytes_to_unicode().
class ByteLevelAlphabet {
 public:
  ByteLevelAlphabet();
  // The stand-in character of `byte`, UTF-8 encoded.
  const std::string& encode(unsigned char byte) const { return byte_to_text_[byte]; }
  // Turns a stored token text back into raw bytes; false when it contains a character that is
  // no stand-in (such a token is then used as plain text).
  bool decode(std::string_view text, std::string& bytes) const;

 private:
  std::string byte_to_text_[256];
  int16_t char_to_byte_[512];  // stand-ins all lie below U+0200
};

}  // namespace pgpp::llm
