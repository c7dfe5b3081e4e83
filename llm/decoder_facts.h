#pragma once
// What a person wants to know about a decoder file before using it: what it is, how big, how
// it is quantized, what context and chat format it has. Read from GGUF metadata alone.
#include <cstdint>
#include <map>
#include <string>

#include "kernels/gguf_file.h"

namespace pgpp::llm {

struct DecoderFacts {
  std::string name;          // general.name, or the file name
  std::string architecture;  // general.architecture: llama, qwen2, ...
  int64_t parameters = 0;
  int64_t context_length = 0;
  int64_t layers = 0;
  int64_t embedding = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t vocab_size = 0;
  std::string tokenizer;               // tokenizer.ggml.model: gpt2 (byte-level BPE) or llama (SentencePiece)
  std::string pre_tokenizer;           // tokenizer.ggml.pre
  bool has_chat_template = false;
  std::map<std::string, int> tensor_types;  // quantization mix: type name -> tensor count
  std::size_t file_bytes = 0;
};

DecoderFacts read_decoder_facts(const kernels::GgufFile& file);

}  // namespace pgpp::llm
