#include "embed/wordpiece_tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <fstream>

#include "embed/json_file.h"
#include "kernels/error.h"
#include "kernels/gguf_file.h"

namespace pgpp::embed {

namespace {

// Decodes one code point at s[i]; an invalid or truncated sequence yields U+FFFD for one byte.
char32_t decode_utf8(std::string_view s, std::size_t i, std::size_t& len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  len = 1;
  if (b0 < 0x80) return b0;
  int n;
  char32_t cp, min;
  if ((b0 & 0xE0) == 0xC0) {
    n = 1, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 2, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 3, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0xFFFD;
  }
  for (int k = 1; k <= n; ++k) {
    if (i + k >= s.size()) return 0xFFFD;
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0xFFFD;
    cp = cp << 6 | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
  len = static_cast<std::size_t>(n) + 1;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | cp >> 12);
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | cp >> 18);
    out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// HF tokenizers decides "control", "punctuation" and "non-spacing mark" with the
// unicode_categories crate, whose tables are Unicode 8.0: a character assigned later is
// "unassigned" there (e.g. U+2E43, Po since 9.0, is not split off). We match that by asking ICU
// for the category only of characters that already existed in Unicode 8.0.
int8_t category_v8(char32_t cp) {
  UVersionInfo age;
  u_charAge(static_cast<UChar32>(cp), age);
  if (age[0] > 8 || (age[0] == 0 && age[1] == 0)) return U_UNASSIGNED;
  return u_charType(static_cast<UChar32>(cp));
}

bool is_control(char32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  const int8_t c = category_v8(cp);
  return c == U_CONTROL_CHAR || c == U_FORMAT_CHAR || c == U_PRIVATE_USE_CHAR || c == U_SURROGATE;
}

bool is_whitespace(char32_t cp) { return u_isUWhiteSpace(static_cast<UChar32>(cp)); }

bool is_punctuation(char32_t cp) {
  if (cp < 0x80) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
                        (cp >= 123 && cp <= 126);
  switch (category_v8(cp)) {
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
      return true;
    default:
      return false;
  }
}

// CJK Unified Ideographs blocks as BERT lists them (U+2B820..2B91F is deliberately absent).
bool is_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

}  // namespace

WordPieceTokenizer WordPieceTokenizer::from_folder(const std::filesystem::path& dir) {
  WordPieceTokenizer t;
  const auto json_path = dir / "tokenizer.json";
  if (std::filesystem::is_regular_file(json_path)) {
    const auto j = read_json_file(json_path);
    const std::string where = json_path.string() + ": ";
    // Say which entry is missing or malformed rather than letting a JSON exception name none.
    if (!j.is_object() || !j.contains("model") || !j["model"].is_object()) {
      throw Error(where + "no tokenizer model (the \"model\" object is missing or not an object)");
    }
    const auto& model = j["model"];
    if (!model.contains("type") || !model["type"].is_string()) {
      throw Error(where + "the tokenizer model has no type (\"model.type\" is missing or not a string)");
    }
    if (model["type"].get<std::string>() != "WordPiece") {
      throw Error(where + "tokenizer model is " + model["type"].get<std::string>() +
                  ", only WordPiece is supported for encoders");
    }
    if (!model.contains("vocab") || !model["vocab"].is_object()) {
      throw Error(where + "no vocabulary (\"model.vocab\" is missing or not an object)");
    }
    try {
      for (const auto& [piece, id] : model["vocab"].items()) t.add_piece(piece, id.get<int32_t>());
      t.unk_piece_ = model.value("unk_token", "[UNK]");
      t.options_.max_chars_per_word = model.value("max_input_chars_per_word", 100);
      t.options_.prefix = model.value("continuing_subword_prefix", "##");
      if (j.contains("normalizer") && j["normalizer"].is_object()) {
        const auto& n = j["normalizer"];
        t.options_.clean_text = n.value("clean_text", true);
        t.options_.handle_chinese_chars = n.value("handle_chinese_chars", true);
        t.options_.lowercase = n.value("lowercase", true);
        t.options_.strip_accents = n.contains("strip_accents") && n["strip_accents"].is_boolean()
                                       ? n["strip_accents"].get<bool>()
                                       : t.options_.lowercase;
      }
      if (j.contains("added_tokens")) {
        for (const auto& a : j["added_tokens"]) {
          t.added_.emplace_back(a.at("content").get<std::string>(), a.at("id").get<int32_t>());
          t.add_piece(t.added_.back().first, t.added_.back().second);
        }
      }
    } catch (const nlohmann::json::exception& e) {
      throw Error(where + "malformed tokenizer entry (" + e.what() + ")");
    }
    t.finish(json_path.string());
    return t;
  }
  const auto vocab_path = dir / "vocab.txt";
  std::ifstream in(vocab_path);
  if (!in) throw Error(dir.string() + ": no tokenizer.json or vocab.txt");
  std::string line;
  int32_t id = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    t.add_piece(line, id++);
  }
  if (std::filesystem::is_regular_file(dir / "tokenizer_config.json")) {
    const auto c = read_json_file(dir / "tokenizer_config.json");
    t.options_.lowercase = c.value("do_lower_case", true);
    t.options_.handle_chinese_chars = c.value("tokenize_chinese_chars", true);
    t.options_.strip_accents = c.contains("strip_accents") && c["strip_accents"].is_boolean()
                                   ? c["strip_accents"].get<bool>()
                                   : t.options_.lowercase;
    t.unk_piece_ = c.value("unk_token", "[UNK]");
  }
  for (const char* s : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    if (const int32_t i = t.id_of(s); i >= 0) t.added_.emplace_back(s, i);
  }
  t.finish(vocab_path.string());
  return t;
}

WordPieceTokenizer WordPieceTokenizer::from_gguf(const kernels::GgufFile& file) {
  const std::string where = file.display_name() + ": ";
  const std::string model = file.get_string_or("tokenizer.ggml.model", "");
  if (model.empty()) throw Error(where + "no vocabulary (tokenizer.ggml.model is missing)");
  if (model != "bert") {
    throw Error(where + "tokenizer.ggml.model is '" + model + "'; an encoder needs a WordPiece vocabulary ('bert')");
  }
  const auto& tokens = file.get_strings("tokenizer.ggml.tokens");
  static const std::vector<int64_t> kNoTypes;
  const auto& types = file.has("tokenizer.ggml.token_type") ? file.get_ints("tokenizer.ggml.token_type") : kNoTypes;
  if (!types.empty() && types.size() != tokens.size()) {
    throw Error(where + "tokenizer.ggml.token_type has " + std::to_string(types.size()) + " entries for " +
                std::to_string(tokens.size()) + " tokens");
  }
  // GGUF token types (llama.cpp's enum): 3 = control ([CLS], [SEP], ...), 4 = user-defined.
  constexpr int64_t kControl = 3, kUserDefined = 4;
  constexpr std::string_view kPhantomSpace = "\xE2\x96\x81";  // U+2581, marks a word start
  WordPieceTokenizer t;
  int64_t cased_pieces = 0;
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    const std::string& tok = tokens[id];
    const int64_t type = types.empty() ? 1 : types[id];
    std::string piece;
    if (type == kControl) {
      piece = tok;
    } else if (tok.starts_with(kPhantomSpace)) {
      piece = tok.substr(kPhantomSpace.size());
    } else if ((tok.size() >= 2 && tok.front() == '[' && tok.back() == ']') || type == kUserDefined) {
      piece = tok;  // older converters kept every bracketed token ([unused0], ...) unchanged
    } else {
      piece = t.options_.prefix + tok;
    }
    if (type == kControl || type == kUserDefined) t.added_.emplace_back(piece, static_cast<int32_t>(id));
    for (std::size_t i = 0; type != kControl && i < tok.size();) {
      std::size_t len;
      if (u_isupper(static_cast<UChar32>(decode_utf8(tok, i, len)))) {
        ++cased_pieces;
        break;
      }
      i += len;
    }
    t.add_piece(std::move(piece), static_cast<int32_t>(id));
  }
  // An uncased vocabulary holds a handful of upper-case symbols (bert-base-uncased: 2 of
  // 30522); a cased one thousands.
  const bool cased = cased_pieces * 100 > static_cast<int64_t>(tokens.size());
  t.options_.lowercase = !cased;
  t.options_.strip_accents = !cased;
  auto id_key = [&](std::string_view key) -> int32_t {
    const int64_t id = file.get_int_or(key, -1);
    if (id >= static_cast<int64_t>(tokens.size())) {
      throw Error(where + std::string(key) + " " + std::to_string(id) + " is past the vocabulary's " +
                  std::to_string(tokens.size()) + " tokens");
    }
    return static_cast<int32_t>(id);
  };
  if (const int32_t unk = id_key("tokenizer.ggml.unknown_token_id"); unk >= 0) t.unk_piece_ = t.pieces_[unk];
  t.cls_id_ = id_key("tokenizer.ggml.cls_token_id");
  if (t.cls_id_ < 0) t.cls_id_ = id_key("tokenizer.ggml.bos_token_id");  // older converters
  t.sep_id_ = id_key("tokenizer.ggml.seperator_token_id");  // sic: GGUF's spelling
  if (t.sep_id_ < 0) t.sep_id_ = id_key("tokenizer.ggml.eos_token_id");
  if (const int32_t pad = id_key("tokenizer.ggml.padding_token_id"); pad >= 0) t.pad_id_ = pad;
  t.finish(file.display_name());
  return t;
}

void WordPieceTokenizer::add_piece(std::string piece, int32_t id) {
  if (id < 0) throw Error("tokenizer: negative token id for " + piece);
  if (pieces_.size() <= static_cast<std::size_t>(id)) pieces_.resize(static_cast<std::size_t>(id) + 1);
  pieces_[static_cast<std::size_t>(id)] = piece;
  ids_.emplace(std::move(piece), id);
}

void WordPieceTokenizer::finish(const std::string& source) {
  unk_id_ = id_of(unk_piece_);
  if (cls_id_ < 0) cls_id_ = id_of("[CLS]");
  if (sep_id_ < 0) sep_id_ = id_of("[SEP]");
  if (const int32_t p = id_of("[PAD]"); p >= 0) pad_id_ = p;
  if (unk_id_ < 0 || cls_id_ < 0 || sep_id_ < 0) {
    throw Error(source + ": vocabulary lacks " + unk_piece_ + ", [CLS] or [SEP]");
  }
  // Leftmost-longest matching of added tokens: try longer ones first at each position.
  std::stable_sort(added_.begin(), added_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  std::erase_if(added_, [](const auto& a) { return a.first.empty(); });
}

int32_t WordPieceTokenizer::id_of(std::string_view piece) const {
  const auto it = ids_.find(std::string(piece));
  return it == ids_.end() ? -1 : it->second;
}

Tokenized WordPieceTokenizer::encode(std::string_view text, int max_tokens) const {
  Tokenized out;
  out.ids.push_back(cls_id_);
  out.spans.push_back({});
  // Added (special) tokens are cut out of the raw text first, as HF tokenizers does; the rest
  // goes through normalization and WordPiece piece by piece.
  std::size_t seg = 0;
  for (std::size_t i = 0; i < text.size();) {
    bool matched = false;
    for (const auto& [content, id] : added_) {
      if (text.compare(i, content.size(), content) == 0) {
        encode_segment(text.substr(seg, i - seg), static_cast<uint32_t>(seg), out.ids, out.spans);
        out.ids.push_back(id);
        out.spans.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(i + content.size())});
        i += content.size();
        seg = i;
        matched = true;
        break;
      }
    }
    if (!matched) ++i;
    // A 1 MB passage need not be tokenized to the end when only the first tokens are kept.
    if (max_tokens > 0 && out.ids.size() >= static_cast<std::size_t>(max_tokens)) break;
  }
  if (max_tokens <= 0 || out.ids.size() < static_cast<std::size_t>(max_tokens)) {
    encode_segment(text.substr(seg), static_cast<uint32_t>(seg), out.ids, out.spans);
  }
  if (max_tokens > 0 && out.ids.size() + 1 > static_cast<std::size_t>(max_tokens)) {
    const std::size_t keep = static_cast<std::size_t>(std::max(max_tokens - 1, 1));
    out.truncated = out.ids.size() > keep;
    out.ids.resize(keep);
    out.spans.resize(keep);
  }
  out.ids.push_back(sep_id_);
  out.spans.push_back({});
  return out;
}

void WordPieceTokenizer::normalize(std::string_view text, uint32_t base, std::vector<Char>& out) const {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status)) throw Error(std::string("ICU: NFD normalizer unavailable: ") + u_errorName(status));
  icu::UnicodeString decomposed;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t len;
    char32_t cp = decode_utf8(text, i, len);
    const uint32_t b = base + static_cast<uint32_t>(i), e = b + static_cast<uint32_t>(len);
    i += len;
    if (options_.clean_text) {
      if (cp == 0 || cp == 0xFFFD || is_control(cp)) continue;
      if (is_whitespace(cp)) cp = ' ';
    }
    auto emit = [&](char32_t c) {
      if (!options_.lowercase) {
        out.push_back({c, b, e});
      } else if (c == 0x130) {  // full lower-case mapping of U+0130: i + combining dot above
        out.push_back({'i', b, e});
        out.push_back({0x307, b, e});
      } else {
        out.push_back({static_cast<char32_t>(u_tolower(static_cast<UChar32>(c))), b, e});
      }
    };
    if (options_.strip_accents && cp >= 0x80 && nfd->getDecomposition(static_cast<UChar32>(cp), decomposed)) {
      for (int32_t k = 0; k < decomposed.length();) {
        const char32_t c = static_cast<char32_t>(decomposed.char32At(k));
        k += c >= 0x10000 ? 2 : 1;
        if (category_v8(c) != U_NON_SPACING_MARK) emit(c);
      }
    } else if (options_.strip_accents && category_v8(cp) == U_NON_SPACING_MARK) {
      continue;
    } else {
      emit(cp);
    }
  }
}

void WordPieceTokenizer::encode_segment(std::string_view text, uint32_t base, std::vector<int32_t>& ids,
                                        std::vector<TokenSpan>& spans) const {
  if (text.empty()) return;
  std::vector<Char> chars;
  chars.reserve(text.size());
  normalize(text, base, chars);
  std::size_t word = 0;
  for (std::size_t i = 0; i <= chars.size(); ++i) {
    if (i == chars.size() || is_whitespace(chars[i].cp)) {
      word_pieces(chars, word, i, ids, spans);
      word = i + 1;
    } else if (is_punctuation(chars[i].cp) || (options_.handle_chinese_chars && is_cjk(chars[i].cp))) {
      word_pieces(chars, word, i, ids, spans);
      word_pieces(chars, i, i + 1, ids, spans);
      word = i + 1;
    }
  }
}

void WordPieceTokenizer::word_pieces(const std::vector<Char>& chars, std::size_t b, std::size_t e,
                                     std::vector<int32_t>& ids, std::vector<TokenSpan>& spans) const {
  if (b >= e) return;
  const std::size_t n = e - b;
  if (n > static_cast<std::size_t>(options_.max_chars_per_word)) {
    ids.push_back(unk_id_);
    spans.push_back({chars[b].begin, chars[e - 1].end});
    return;
  }
  // byte offsets of each char inside the word's UTF-8 string
  std::string word;
  std::vector<std::size_t> at(n + 1);
  for (std::size_t k = 0; k < n; ++k) {
    at[k] = word.size();
    append_utf8(word, chars[b + k].cp);
  }
  at[n] = word.size();
  const std::size_t first = ids.size();
  std::string candidate;
  for (std::size_t start = 0; start < n;) {
    std::size_t end = n;
    int32_t found = -1;
    for (; end > start; --end) {
      candidate.assign(start > 0 ? options_.prefix : std::string());
      candidate.append(word, at[start], at[end] - at[start]);
      const auto it = ids_.find(candidate);
      if (it != ids_.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) {  // one piece not in the vocabulary makes the whole word unknown
      ids.resize(first);
      spans.resize(first);
      ids.push_back(unk_id_);
      spans.push_back({chars[b].begin, chars[e - 1].end});
      return;
    }
    ids.push_back(found);
    spans.push_back({chars[b + start].begin, chars[b + end - 1].end});
    start = end;
  }
}

}  // namespace pgpp::embed
