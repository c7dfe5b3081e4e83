#pragma once
// Converts a sentence-transformers BERT folder (config.json, model.safetensors, vocab.txt,
// tokenizer.json, 1_Pooling/config.json) into a GGUF file laid out as llama.cpp's converter
// lays one out (see embed/bert_gguf.h), so that tests can load a real encoder through the GGUF
// path. Our own code on GgufWriter; options forge the broken files tests need.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "kernels/dtype.h"

namespace pgpp::test {

struct BertGgufOptions {
  // Type of the 2-D weights (token_embd and every linear layer): F32, F16 or Q8_0. As in
  // llama.cpp's converter, norms, biases, position and token-type embeddings stay F32.
  kernels::DType matrices = kernels::DType::F32;
  bool vocabulary_only = false;          // metadata and vocabulary, no tensors
  std::string architecture = "bert";     // general.architecture
  std::string tokenizer_model = "bert";  // tokenizer.ggml.model
  std::optional<int64_t> pooling_type;   // default: 1 (mean) or 2 (CLS) from 1_Pooling/config.json
  bool write_pooling_type = true;
  std::string leave_out;    // a GGUF tensor name to leave out
  std::string wrong_shape;  // a GGUF tensor name to write with one row (or element) fewer
};

// Throws std::runtime_error when the folder cannot be read.
void write_bert_gguf(const std::filesystem::path& folder, const std::filesystem::path& out,
                     const BertGgufOptions& options = {});

}  // namespace pgpp::test
