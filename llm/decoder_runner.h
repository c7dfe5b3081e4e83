#pragma once
// Where a conversation's decoder runs: the model's weights on a device plus that device's KV
// cache. Session talks to this, so one generation loop serves the CPU and the GPU.
//
//   CPU:  LlamaModel::forward on the CPU backend with a host KvCache.
//   CUDA: the same forward pass on the GPU (llm/cuda/llama_cuda.h), weights in their quantized
//         blocks and the cache in device memory; only the chosen token (greedy) or the last
//         row of logits (other samplers) comes back per step.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernels/cpu_backend.h"
#include "kernels/device.h"
#include "llm/llama_model.h"
#include "llm/sampler.h"

namespace pgpp::llm {

class DecoderRunner {
 public:
  virtual ~DecoderRunner() = default;

  // "cpu (2 threads, avx2)" or "cuda (NVIDIA H100 80GB HBM3)": for the user and bench tables.
  virtual std::string description() const = 0;
  virtual int64_t capacity() const = 0;
  // Positions filled, and which tokens fill them.
  virtual const std::vector<int32_t>& tokens() const = 0;
  int64_t size() const { return static_cast<int64_t>(tokens().size()); }
  // How many leading tokens of `ids` are already cached.
  int64_t common_prefix(const std::vector<int32_t>& ids) const;
  // Forgets positions n and on.
  virtual void truncate(int64_t n) = 0;

  // Runs `tokens` at positions size() ... in batches of at most batch_size and keeps the last
  // token's logits. Throws pgpp::Error when they do not fit or an id is out of range.
  virtual void forward(std::span<const int32_t> tokens, int64_t batch_size) = 0;
  // The last token's logits (n_vocab floats) on the host; the caller may change them.
  virtual std::span<float> logits() = 0;
  // Index of the largest of those logits (first on ties), without copying them all back.
  virtual int32_t argmax_logits() = 0;
  // Greedy decoding's choice after the sampler's penalties over `history` (the same token as
  // sampler.sample() with temperature 0). The GPU applies the penalties itself and returns only
  // the token; the default does it on logits().
  virtual int32_t pick_greedy(const Sampler& sampler, std::span<const int32_t> history);

  // For benchmarks: the device's measured copy bandwidth in bytes/s (0 where not measured: the
  // CPU). With decode_weight_bytes and a decode rate it says how close decode comes to its
  // memory floor.
  virtual double copy_bandwidth() { return 0; }
};

// Bytes of the matrices a decode step reads: every layer's seven plus the output matrix.
std::size_t decode_weight_bytes(const LlamaModel& model);

// The runner for `device` (Auto resolved with kernels::choose_device). The CPU runner uses `cpu`,
// which must outlive it. A CUDA runner uploads the weights. Throws pgpp::Error when the CUDA
// device is asked for and cannot be used (this build has no CUDA backend, no GPU, or the GPU
// cannot take the model); with Auto the CPU takes over then, and description() says why.
std::unique_ptr<DecoderRunner> make_decoder_runner(const LlamaModel& model,
                                                   kernels::CpuBackend& cpu, kernels::Device device,
                                                   int64_t max_positions);

}  // namespace pgpp::llm
