#pragma once
// What a person wants to know about an encoder, a sentence-transformers folder or a GGUF file of
// a BERT encoder: the architecture, size, output dimension, pooling and maximum sequence length.
#include <cstdint>
#include <filesystem>
#include <string>

namespace pgpp::kernels {
class GgufFile;
}

namespace pgpp::embed {

struct EncoderFacts {
  std::string name;          // the folder's name, or the GGUF file's general.name
  std::string format;        // sentence-transformers or GGUF
  std::string architecture;  // config.json model_type or general.architecture, e.g. bert
  int64_t layers = 0;
  int64_t hidden = 0;
  int64_t heads = 0;
  int64_t vocab_size = 0;
  int64_t max_tokens = 0;  // sentence_bert_config max_seq_length, else max_position_embeddings
                           // (bert.context_length in GGUF)
  std::string pooling;     // mean or cls
  bool normalize = false;
  // F32, F16, ...: the type of most parameters; "none (vocabulary only)" for a GGUF without
  // tensors (llama.cpp's ggml-vocab-*.gguf files).
  std::string weights_type;
  int64_t parameters = 0;
};

// True when the folder looks like a sentence-transformers model (config.json + weights).
bool is_encoder_folder(const std::filesystem::path& dir);
// True when the GGUF file holds a BERT encoder (general.architecture = bert).
bool is_encoder_gguf(const kernels::GgufFile& file);
// A folder or a .gguf file. Throws pgpp::Error naming the folder or file and what is missing or
// malformed.
EncoderFacts read_encoder_facts(const std::filesystem::path& model);
// From the metadata alone (a vocabulary-only file has facts too); throws pgpp::Error.
EncoderFacts read_encoder_facts(const kernels::GgufFile& file);

}  // namespace pgpp::embed
