#pragma once
// BERT's tokenizer: basic tokenization (clean-up, CJK splitting, accent stripping, lower-casing,
// whitespace and punctuation splitting) then greedy longest-match-first WordPiece, exactly as
// Hugging Face `tokenizers` does it for a BertNormalizer + BertPreTokenizer + WordPiece model
// (the configuration sentence-transformers folders ship in tokenizer.json). The vocabulary comes
// from such a folder or from a GGUF file's tokenizer.ggml.* metadata.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pgpp::kernels {
class GgufFile;
}

namespace pgpp::embed {

struct TokenSpan {
  uint32_t begin = 0;  // byte range of the input text the token came from; [0,0) for [CLS]/[SEP]
  uint32_t end = 0;
};

struct Tokenized {
  std::vector<int32_t> ids;      // [CLS] ... [SEP]
  std::vector<TokenSpan> spans;  // one per id
  bool truncated = false;        // true when tokens past max_tokens were dropped
};

class WordPieceTokenizer {
 public:
  // Reads dir/tokenizer.json, else dir/vocab.txt (+ tokenizer_config.json). Throws pgpp::Error
  // naming the file and what is wrong with it.
  static WordPieceTokenizer from_folder(const std::filesystem::path& dir);
  // Reads the vocabulary of a GGUF BERT encoder (tokenizer.ggml.model = "bert"). llama.cpp's
  // converter rewrites WordPiece pieces for its own tokenizer: a word-initial piece "foo" is
  // stored as "\u2581foo", a continuation "##oo" as "oo", control tokens ([CLS], ...) as they
  // are; this undoes that. GGUF does not record do_lower_case: the vocabulary is taken as
  // uncased (lower-casing and accent stripping, as bge, e5 and MiniLM need) unless more than
  // 1% of its pieces hold an upper-case letter. Throws pgpp::Error naming the file.
  static WordPieceTokenizer from_gguf(const kernels::GgufFile& file);

  // Tokens of `text` between [CLS] and [SEP], at most max_tokens in all (0: no limit). Invalid
  // UTF-8 is read as U+FFFD (which BERT's clean-up then drops).
  Tokenized encode(std::string_view text, int max_tokens = 0) const;

  int vocab_size() const { return static_cast<int>(pieces_.size()); }
  int32_t id_of(std::string_view piece) const;  // -1 when not in the vocabulary
  const std::string& piece(int32_t id) const { return pieces_.at(static_cast<std::size_t>(id)); }
  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  int32_t pad_id() const { return pad_id_; }
  int32_t unk_id() const { return unk_id_; }
  bool lowercases() const { return options_.lowercase; }

 private:
  struct Options {
    bool clean_text = true;
    bool handle_chinese_chars = true;
    bool strip_accents = true;
    bool lowercase = true;
    int max_chars_per_word = 100;
    std::string prefix = "##";
  };
  struct Char {  // one normalized code point and the input bytes it came from
    char32_t cp;
    uint32_t begin, end;
  };

  WordPieceTokenizer() = default;
  void add_piece(std::string piece, int32_t id);
  void finish(const std::string& source);
  void encode_segment(std::string_view text, uint32_t base, std::vector<int32_t>& ids,
                      std::vector<TokenSpan>& spans) const;
  void normalize(std::string_view text, uint32_t base, std::vector<Char>& out) const;
  void word_pieces(const std::vector<Char>& chars, std::size_t b, std::size_t e,
                   std::vector<int32_t>& ids, std::vector<TokenSpan>& spans) const;

  Options options_;
  std::vector<std::string> pieces_;
  std::unordered_map<std::string, int32_t> ids_;
  std::vector<std::pair<std::string, int32_t>> added_;  // matched verbatim in the input, longest first
  std::string unk_piece_ = "[UNK]";
  int32_t cls_id_ = -1, sep_id_ = -1, pad_id_ = 0, unk_id_ = -1;
};

}  // namespace pgpp::embed
