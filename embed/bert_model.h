#pragma once
// A BERT encoder's forward pass (sentence-transformers' Transformer module) on our CPU kernels:
// word + position + token-type embeddings, LayerNorm, then per layer multi-head self-attention
// and a GELU feed-forward, each followed by residual + LayerNorm (post-norm, as BERT).
//
// Sequences are packed end to end (no padding rows): a batch is the concatenation of its
// sequences' tokens, linear layers run once over all of them and attention stays inside each
// sequence. Weights come from model.safetensors (F32, F16 or BF16); the linear layers are
// converted to floats and packed for the GEMM once, at load.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "kernels/cpu/matmul_float.h"
#include "kernels/cpu_backend.h"
#include "kernels/safetensors_file.h"

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

  const BertConfig& config() const { return config_; }

  // Final hidden states of every token: ids holds the sequences end to end, seq_begin their
  // starts (n_seqs + 1 entries, the last = ids.size()). Returns ids.size() x hidden floats.
  std::vector<float> forward(kernels::CpuBackend& cpu, const std::vector<int32_t>& ids,
                             const std::vector<int64_t>& seq_begin) const;

 private:
  struct Linear {
    kernels::cpu::PackedWeight w;
    std::vector<float> bias;
  };
  struct Norm {
    std::vector<float> gamma, beta;
  };
  struct Layer {
    Linear q, k, v, out, ffn_in, ffn_out;
    Norm attn_norm, ffn_norm;
  };

  void linear(kernels::CpuBackend& cpu, const Linear& l, const float* x, int64_t n, float* y) const;

  BertConfig config_;
  std::unique_ptr<kernels::SafetensorsFile> weights_;
  kernels::TensorView word_embeddings_;
  std::vector<float> position_embeddings_;  // max_positions x hidden
  std::vector<float> token_type0_;          // type 0 row (single-sentence inputs)
  Norm embedding_norm_;
  std::vector<Layer> layers_;
};

}  // namespace pgpp::embed
