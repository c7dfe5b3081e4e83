#pragma once
// What a person wants to know about an encoder folder (sentence-transformers layout): the
// architecture, size, output dimension, pooling and maximum sequence length.
#include <cstdint>
#include <filesystem>
#include <string>

namespace pgpp::embed {

struct EncoderFacts {
  std::string name;  // the folder's name
  std::string architecture;  // config.json model_type, e.g. bert
  int64_t layers = 0;
  int64_t hidden = 0;
  int64_t heads = 0;
  int64_t vocab_size = 0;
  int64_t max_tokens = 0;  // sentence_bert_config max_seq_length, else max_position_embeddings
  std::string pooling;     // mean or cls
  bool normalize = false;
  std::string weights_type;  // F32, F16, ...
  int64_t parameters = 0;
};

// True when the folder looks like a sentence-transformers model (config.json + weights).
bool is_encoder_folder(const std::filesystem::path& dir);
// Throws pgpp::Error naming the folder and what is missing or malformed.
EncoderFacts read_encoder_facts(const std::filesystem::path& dir);

}  // namespace pgpp::embed
