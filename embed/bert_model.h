#pragma once
// A BERT encoder's forward pass (sentence-transformers' Transformer module) on our CPU kernels:
// word + position + token-type embeddings, LayerNorm, then per layer multi-head self-attention
// and a GELU feed-forward, each followed by residual + LayerNorm (post-norm, as BERT).
//
// Sequences are packed end to end (no padding rows): a batch is the concatenation of its
// sequences' tokens, linear layers run once over all of them and attention stays inside each
// sequence. Weights come from a sentence-transformers folder's model.safetensors (F32, F16 or
// BF16) or from a GGUF file (F32, F16, BF16 or a quantized type such as Q8_0; see bert_gguf.h);
// the linear layers are converted to floats and packed for the GEMM once, at load.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/matmul_float.h"
#include "kernels/cpu_backend.h"
#include "kernels/gguf_file.h"

namespace pgpp::embed {

struct BertConfig {
  int64_t hidden = 0;
  int64_t heads = 0;
  int64_t layers = 0;
  int64_t intermediate = 0;
  int64_t max_positions = 0;
  int64_t type_vocab = 0;
  float layer_norm_eps = 1e-12f;
};

class BertModel {
 public:
  // Reads dir/config.json and dir/model.safetensors; throws pgpp::Error naming the file and
  // the missing or malformed part.
  BertModel(const std::filesystem::path& dir, kernels::CpuBackend& cpu);
  // Reads a GGUF file in llama.cpp's BERT layout (bert_gguf.h); throws pgpp::Error naming the
  // file and the unsupported architecture, missing tensor or wrong shape. Keeps `file` alive.
  BertModel(std::shared_ptr<const kernels::GgufFile> file, kernels::CpuBackend& cpu);

  const BertConfig& config() const { return config_; }
  // Rows of the word-embedding table: token ids must stay below it.
  int64_t vocab_rows() const { return word_embeddings_.rows(); }

  struct Linear {
    kernels::cpu::PackedWeight w;
    kernels::TensorView weight;  // the same matrix as stored in the file (kept mapped)
    std::vector<float> bias;
  };
  struct Norm {
    std::vector<float> gamma, beta;
  };
  struct Layer {
    Linear q, k, v, out, ffn_in, ffn_out;
    Norm attn_norm, ffn_norm;
  };

  // The weights as loaded, for a backend that lays them out its own way (embed/cuda's GPU
  // encoder converts them to FP16 once, reading the file's matrices, not the packed panels).
  const kernels::TensorView& word_embeddings() const { return word_embeddings_; }
  const std::vector<float>& position_embeddings() const { return position_embeddings_; }
  const std::vector<float>& token_type0() const { return token_type0_; }
  const Norm& embedding_norm() const { return embedding_norm_; }
  const std::vector<Layer>& layers() const { return layers_; }

  // Final hidden states of every token: ids holds the sequences end to end, seq_begin their
  // starts (n_seqs + 1 entries, the last = ids.size()). Returns ids.size() x hidden floats.
  std::vector<float> forward(kernels::CpuBackend& cpu, const std::vector<int32_t>& ids,
                             const std::vector<int64_t>& seq_begin) const;

 private:
  // One file's tensors: `find` returns nullptr for a missing one, `name` gives a part's name.
  enum class Part { WordEmbeddings, PositionEmbeddings, TokenTypes, EmbeddingNorm, Query, Key, Value,
                    AttentionOut, AttentionNorm, FfnUp, FfnDown, FfnNorm };
  struct Weights {
    std::string file;  // display name, for errors
    std::function<const kernels::TensorView*(const std::string&)> find;
    std::function<std::string(Part, int64_t layer)> name;  // without .weight / .bias
  };
  void load(const Weights& w, kernels::CpuBackend& cpu);
  void linear(kernels::CpuBackend& cpu, const Linear& l, const float* x, int64_t n, float* y) const;

  BertConfig config_;
  std::shared_ptr<const void> weights_file_;  // the mapped file word_embeddings_ points into
  kernels::TensorView word_embeddings_;
  std::vector<float> position_embeddings_;  // max_positions x hidden
  std::vector<float> token_type0_;          // type 0 row (single-sentence inputs)
  Norm embedding_norm_;
  std::vector<Layer> layers_;
};

}  // namespace pgpp::embed
