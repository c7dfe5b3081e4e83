#pragma once
// A BERT encoder stored as GGUF, laid out as llama.cpp's converter writes one (bge, e5,
// MiniLM, ... converted from Hugging Face):
//
//   general.architecture = "bert"; bert.context_length, bert.embedding_length,
//   bert.feed_forward_length, bert.block_count, bert.attention.head_count,
//   bert.attention.layer_norm_epsilon, bert.attention.causal = false, bert.pooling_type
//   (1 = mean, 2 = CLS), tokenizer.ggml.token_type_count;
//   tensors token_embd, token_types, position_embd, token_embd_norm and per layer N
//   blk.N.attn_{q,k,v}, blk.N.attn_output, blk.N.attn_output_norm, blk.N.ffn_up,
//   blk.N.ffn_down, blk.N.layer_output_norm (each .weight and .bias).
//
// The vocabulary (tokenizer.ggml.model = "bert") is read by WordPieceTokenizer::from_gguf.
#include <cstdint>
#include <string>

#include "embed/bert_model.h"
#include "kernels/gguf_file.h"

namespace pgpp::embed {

// bert.pooling_type values (llama.cpp's enum): what one vector per text is made of.
inline constexpr int64_t kGgufPoolingMean = 1;
inline constexpr int64_t kGgufPoolingCls = 2;

struct BertGgufHeader {
  std::string name;  // general.name, else the file name without .gguf
  BertConfig config;
  int64_t pooling_type = kGgufPoolingMean;
  bool pooling_given = false;  // false when bert.pooling_type is absent (mean is then assumed)
};

// True when general.architecture is "bert".
bool is_bert_gguf(const kernels::GgufFile& file);

// The encoder's sizes and pooling from the metadata. Throws pgpp::Error naming the file and
// the reason: another architecture, causal attention, a missing or inconsistent size, a
// pooling type other than mean or CLS.
BertGgufHeader read_bert_gguf_header(const kernels::GgufFile& file);

}  // namespace pgpp::embed
