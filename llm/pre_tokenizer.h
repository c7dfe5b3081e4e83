#pragma once
// The pre-tokenizers of byte-level BPE models: the rules that cut text into words before BPE
// merges run inside each word. Written by hand from the regular expressions the models were
// trained with (llama.cpp's llama-vocab.cpp and the models' tokenizer.json list them), with
// ICU's character classes; no regex engine.
#include <string>
#include <string_view>
#include <vector>

namespace pgpp::llm {

enum class PreTokenizer {
  // GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  Gpt2,
  // SmolLM (tokenizer.ggml.pre = smollm; StarCoder's is the same): every digit alone (\p{N}),
  // then GPT-2 on the rest.
  SmolLm,
  // Llama 3 (llama-bpe): (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
  //   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  Llama3,
  // Qwen2: as Llama 3 but \p{N} one digit at a time; the text is NFC-normalized first.
  Qwen2,
};

// The pre-tokenizer a GGUF's tokenizer.ggml.pre names; false when we don't know the name.
bool pre_tokenizer_from_name(std::string_view name, PreTokenizer& out);

// Cuts `text` into words; the views point into `text` and cover it without gaps, in order.
void pre_tokenize(PreTokenizer kind, std::string_view text, std::vector<std::string_view>& words);

}  // namespace pgpp::llm
