#pragma once
// A Llama-family decoder read from a GGUF file: Llama 2/3, Mistral, TinyLlama, SmolLM
// (architecture "llama") and Qwen2/2.5 ("qwen2": biases on Q, K, V and NeoX-ordered RoPE).
// Weights stay in the memory-mapped file in their stored types; every linear layer goes through
// kernels::matmul.
//
// Tensors by their GGUF names: token_embd, blk.N.{attn_norm, attn_q, attn_k, attn_v,
// attn_output, ffn_norm, ffn_gate, ffn_up, ffn_down}, output_norm, output (absent: tied to
// token_embd), optional blk.N.attn_{q,k,v}.bias and rope_freqs.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/rope.h"
#include "kernels/cpu_backend.h"
#include "kernels/gguf_file.h"
#include "kernels/tensor_view.h"
#include "llm/kv_cache.h"

namespace pgpp::llm {

struct LlamaHparams {
  std::string architecture;
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  int64_t n_ff = 0;
  int64_t n_rot = 0;
  double rope_base = 10000.0;
  double rope_linear_scale = 1.0;
  float rms_eps = 1e-5f;
  kernels::cpu::RopeOrder rope_order = kernels::cpu::RopeOrder::Normal;

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }
};

struct LlamaLoadOptions {
  // Expand every quantized matrix to F32 at load time (4 bytes a weight), so products run in
  // float instead of with 8-bit quantized activations. For checking the forward pass against a
  // reference at float precision; far slower and larger, not for use.
  bool dequantize_weights = false;
};

class LlamaModel {
 public:
  // Opens and checks the file: architecture, hyper-parameters, every tensor's presence, shape
  // and type. Throws pgpp::Error naming the file and the problem.
  static std::unique_ptr<LlamaModel> load(const std::filesystem::path& path, LlamaLoadOptions options = {});
  explicit LlamaModel(std::unique_ptr<kernels::GgufFile> file, LlamaLoadOptions options = {});

  const kernels::GgufFile& file() const { return *file_; }
  const LlamaHparams& hparams() const { return hp_; }
  std::string display_name() const { return file_->display_name(); }

  // A cache for this model holding up to min(training context, max_positions) positions
  // (max_positions <= 0: the training context).
  KvCache make_cache(int64_t max_positions = 0) const;
  // The positions such a cache holds: min(training context, max_positions), or the training
  // context for max_positions <= 0.
  int64_t context_for(int64_t max_positions) const;

  // Runs `tokens` at positions cache.size() ... and appends them to the cache. Logits go to
  // `logits`: one row of n_vocab per token when all_logits, else only the last token's row.
  // Long inputs go through in batches of at most batch_size tokens.
  void forward(kernels::CpuBackend& cpu, KvCache& cache, const std::vector<int32_t>& tokens, bool all_logits,
               std::vector<float>& logits, int64_t batch_size = 256) const;

  // The tensors of one block, as checked at load (what another backend uploads).
  struct Layer {
    const kernels::TensorView* attn_norm;
    const kernels::TensorView* wq;
    const kernels::TensorView* wk;
    const kernels::TensorView* wv;
    const kernels::TensorView* wo;
    const kernels::TensorView* bq;  // biases: may be null
    const kernels::TensorView* bk;
    const kernels::TensorView* bv;
    const kernels::TensorView* ffn_norm;
    const kernels::TensorView* gate;
    const kernels::TensorView* up;
    const kernels::TensorView* down;
  };

  const std::vector<Layer>& layers() const { return layers_; }
  const kernels::TensorView& token_embd() const { return *token_embd_; }
  const kernels::TensorView& output_norm() const { return *output_norm_; }
  const kernels::TensorView& output() const { return *output_; }
  const kernels::cpu::Rope& rope() const { return *rope_; }

 private:
  void forward_batch(kernels::CpuBackend& cpu, KvCache& cache, const int32_t* tokens, int64_t n, bool all_logits,
                     float* logits) const;
  const kernels::TensorView& require(const std::string& name, std::vector<int64_t> shape) const;
  const kernels::TensorView* optional(const std::string& name, std::vector<int64_t> shape) const;
  const kernels::TensorView* matrix(const kernels::TensorView* t);  // as stored, or expanded to F32
  [[noreturn]] void fail(const std::string& reason) const;

  std::unique_ptr<kernels::GgufFile> file_;
  LlamaHparams hp_;
  const kernels::TensorView* token_embd_ = nullptr;
  const kernels::TensorView* output_norm_ = nullptr;
  const kernels::TensorView* output_ = nullptr;
  std::vector<Layer> layers_;
  std::unique_ptr<kernels::cpu::Rope> rope_;
  bool dequantize_weights_ = false;
  std::vector<std::unique_ptr<std::vector<float>>> expanded_data_;  // with dequantize_weights
  std::vector<std::unique_ptr<kernels::TensorView>> expanded_views_;
};

}  // namespace pgpp::llm
