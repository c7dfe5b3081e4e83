#pragma once
// A Llama-family decoder on a CUDA GPU: the forward pass of LlamaModel (same tensors, same
// order of operations) through kernels/cuda's decoder ops. Weights are uploaded once in their
// stored blocks; the KV cache (F16) lives in device memory.
//
// A decode step (one token) is captured as a CUDA graph the first time and replayed afterwards:
// positions and the token id are read from device memory, so the same graph serves every
// position. Prompts go through eagerly in batches (cuBLAS for the matrix products).
//
// Built only with the CUDA backend; created through make_decoder_runner.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_context.h"
#include "kernels/cuda/cuda_graph.h"
#include "kernels/cuda/decoder_ops.h"
#include "kernels/cuda/device_array.h"
#include "llm/decoder_runner.h"
#include "llm/llama_model.h"

namespace pgpp::llm {

class LlamaCuda final : public DecoderRunner {
 public:
  // Uploads the model to GPU 0 and makes a cache of min(training context, max_positions)
  // positions (max_positions <= 0: the training context). Throws pgpp::Error naming what could
  // not be done (no GPU, out of memory, a weight type the GPU kernels lack).
  LlamaCuda(const LlamaModel& model, int64_t max_positions, int64_t max_batch = 512);

  std::string description() const override;
  int64_t capacity() const override { return capacity_; }
  const std::vector<int32_t>& tokens() const override { return tokens_; }
  void truncate(int64_t n) override;
  void forward(std::span<const int32_t> tokens, int64_t batch_size) override;
  std::span<float> logits() override;
  int32_t argmax_logits() override;
  int32_t pick_greedy(const Sampler& sampler, std::span<const int32_t> history) override;

  double copy_bandwidth() override;
  // Replay decode steps from a captured graph (default on); off runs each step's kernels
  // one by one, to measure what the graph saves.
  void use_graph(bool on) { use_graph_ = on; }

 private:
  struct Layer {
    kernels::cuda::DeviceMatrix wq, wk, wv, wo, gate, up, down;
    // Where Q, K and V (and gate and up) share type and width they are uploaded back to back,
    // and these cover all their rows: one token's three products become one launch, whose
    // output is [q | k | v] (and [gate | up]). rows == 0 where they could not be joined.
    kernels::cuda::DeviceMatrix qkv, gate_up;
    const float* attn_norm = nullptr;
    const float* ffn_norm = nullptr;
    const float* bq = nullptr;
    const float* bk = nullptr;
    const float* bv = nullptr;
  };

  kernels::cuda::DeviceMatrix upload_matrix(const kernels::TensorView& t);
  // Uploads the tensors into one allocation, back to back, and returns a matrix over each and,
  // when they share type and width, one over all of them (else rows == 0).
  std::vector<kernels::cuda::DeviceMatrix> upload_joined(
      const std::vector<const kernels::TensorView*>& ts, kernels::cuda::DeviceMatrix& joined);
  const float* upload_vector(const kernels::TensorView* t);
  // The layers for n tokens whose ids and positions are already in ids_ / positions_.
  void run_batch(int64_t n);
  void decode_step();

  const LlamaModel& model_;
  LlamaHparams hp_;
  kernels::cuda::CudaContext ctx_;
  int64_t capacity_ = 0;
  int64_t max_batch_ = 0;
  std::vector<int32_t> tokens_;
  double copy_bandwidth_ = 0;  // measured on first request

  std::vector<kernels::cuda::DeviceArray<std::byte>> storage_;  // every uploaded tensor
  std::vector<Layer> layers_;
  kernels::cuda::DeviceMatrix token_embd_, output_;
  const float* output_norm_ = nullptr;
  kernels::cuda::DeviceArray<double>
      theta_;  // RoPE angles per position step, in double as the CPU keeps them
  kernels::cuda::DeviceArray<uint16_t> k_cache_, v_cache_;  // n_layer x capacity x kv_dim

  // Activations for up to max_batch tokens.
  kernels::cuda::DeviceArray<int32_t> ids_, positions_, greedy_;
  kernels::cuda::DeviceArray<int32_t> penalty_ids_, penalty_counts_;  // grown as needed
  kernels::cuda::DeviceArray<float> x_, h_, q_, k_, v_, att_, g_, u_, logits_dev_;
  kernels::cuda::DeviceArray<float> qkv_, gate_up_;  // one token's joined products
  std::vector<float> logits_host_;
  bool logits_fresh_ = false;  // logits_host_ holds the current device logits

  bool use_graph_ = true;
  bool warmed_up_ = false;          // a decode step ran eagerly, so scratch has its size
  kernels::cuda::CudaGraph graph_;  // one decode step
};

}  // namespace pgpp::llm
