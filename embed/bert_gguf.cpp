#include "embed/bert_gguf.h"

#include "kernels/error.h"

namespace pgpp::embed {

bool is_bert_gguf(const kernels::GgufFile& file) {
  return file.get_string_or("general.architecture", "") == "bert";
}

BertGgufHeader read_bert_gguf_header(const kernels::GgufFile& file) {
  const std::string where = file.display_name() + ": ";
  const std::string arch = file.get_string_or("general.architecture", "");
  if (arch != "bert") {
    // nomic-bert, jina-bert-v2, ... differ in attention and feed-forward; a decoder is no encoder.
    throw Error(where + "architecture '" + arch +
                "' is not supported as an encoder (BERT only: general.architecture = bert)");
  }
  if (file.get_bool_or("bert.attention.causal", false)) {
    throw Error(where + "bert.attention.causal is true; a sentence encoder attends both ways");
  }
  BertGgufHeader h;
  h.name = file.get_string_or("general.name", file.path().stem().string());
  BertConfig& c = h.config;
  c.hidden = file.get_int("bert.embedding_length");
  c.heads = file.get_int("bert.attention.head_count");
  c.layers = file.get_int("bert.block_count");
  c.intermediate = file.get_int("bert.feed_forward_length");
  c.max_positions = file.get_int("bert.context_length");
  c.type_vocab = file.get_int_or("tokenizer.ggml.token_type_count", 2);
  c.layer_norm_eps =
      static_cast<float>(file.get_float_or("bert.attention.layer_norm_epsilon", 1e-12));
  if (c.hidden <= 0 || c.heads <= 0 || c.hidden % c.heads != 0 || c.layers <= 0 ||
      c.intermediate <= 0 || c.max_positions <= 0) {
    throw Error(where + "bert.embedding_length " + std::to_string(c.hidden) +
                ", attention.head_count " + std::to_string(c.heads) + ", block_count " +
                std::to_string(c.layers) + ", feed_forward_length " +
                std::to_string(c.intermediate) + " or context_length " +
                std::to_string(c.max_positions) + " is not a usable size");
  }
  if (file.has("bert.pooling_type")) {
    h.pooling_given = true;
    h.pooling_type = file.get_int("bert.pooling_type");
    if (h.pooling_type != kGgufPoolingMean && h.pooling_type != kGgufPoolingCls) {
      // 0 = none (a vector per token), 3 = last token, 4 = rank (a reranker's score).
      throw Error(where + "bert.pooling_type " + std::to_string(h.pooling_type) +
                  " is not supported (1 = mean or 2 = CLS expected)");
    }
  }
  return h;
}

}  // namespace pgpp::embed
