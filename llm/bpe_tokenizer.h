#pragma once
// Byte-level BPE (tokenizer.ggml.model = gpt2), as in GPT-2, SmolLM, Llama 3 and Qwen2: the
// text is cut into words by the pre-tokenizer (llm/pre_tokenizer.h), each word's bytes start as
// one token each, and the merge with the lowest rank (its index in tokenizer.ggml.merges) is
// applied until none is left. Vocab and merges are stored in GPT-2's byte alphabet
// (llm/unicode.h); we turn them into raw bytes once, at load.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "llm/pre_tokenizer.h"
#include "llm/tokenizer.h"
#include "llm/unicode.h"

namespace pgpp::llm {

class BpeTokenizer final : public Tokenizer {
 public:
  explicit BpeTokenizer(const kernels::GgufFile& file);

  std::string decode_piece(int32_t id, bool at_start) const override;
  PreTokenizer pre_tokenizer() const { return pre_; }

 protected:
  void encode_text(std::string_view text, bool after_special, std::vector<int32_t>& out) const override;

 private:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  // (left id, right id) -> merge, in one flat open-addressing table: the merge look-up is the
  // inner loop of encoding and a node-based map spends it on cache misses.
  class MergeTable {
   public:
    void build(const std::vector<std::pair<uint64_t, Merge>>& entries);
    const Merge* find(uint64_t key) const {
      if (slots_.empty()) return nullptr;
      for (std::size_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
        const Slot& s = slots_[i];
        if (s.key == key) return &s.merge;
        if (s.key == kEmpty) return nullptr;
      }
    }

   private:
    static constexpr uint64_t kEmpty = ~uint64_t{0};
    struct Slot {
      uint64_t key;
      Merge merge;
    };
    static std::size_t mix(uint64_t k) { return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> 20); }
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  struct Scratch;  // per-call buffers, reused from word to word
  void encode_word(std::string_view word, Scratch& scratch, std::vector<int32_t>& out) const;

  ByteLevelAlphabet alphabet_;
  PreTokenizer pre_ = PreTokenizer::Gpt2;
  bool ignore_merges_ = false;  // Llama 3: a word that is itself a token is taken whole
  bool normalize_nfc_ = false;  // Qwen2's tokenizer.json normalizes to NFC
  std::vector<std::string> pieces_;  // raw bytes of each token
  int32_t byte_token_[256];
  MergeTable merges_;
  TokenIdMap piece_to_id_;  // raw bytes -> normal token
};

}  // namespace pgpp::llm
