#include "llm/decoder_runner.h"

#include <algorithm>
#include <string>
#include <utility>

#include "kernels/error.h"
#include "llm/kv_cache.h"
#include "llm/sampler.h"
#if PGPP_HAVE_CUDA
#include "llm/cuda/llama_cuda.h"
#endif

namespace pgpp::llm {

int64_t DecoderRunner::common_prefix(const std::vector<int32_t>& ids) const {
  const std::vector<int32_t>& have = tokens();
  const auto n = std::min(have.size(), ids.size());
  std::size_t i = 0;
  while (i < n && have[i] == ids[i]) ++i;
  return static_cast<int64_t>(i);
}

std::size_t decode_weight_bytes(const LlamaModel& model) {
  std::size_t bytes = model.output().nbytes;
  for (const LlamaModel::Layer& L : model.layers()) {
    for (const kernels::TensorView* m : {L.wq, L.wk, L.wv, L.wo, L.gate, L.up, L.down})
      bytes += m->nbytes;
  }
  return bytes;
}

int32_t DecoderRunner::pick_greedy(const Sampler& sampler, std::span<const int32_t> history) {
  const std::span<float> l = logits();
  sampler.apply_penalties(l, history);
  return argmax(l);
}

namespace {

class CpuDecoderRunner final : public DecoderRunner {
 public:
  // `note`: why the CPU runs it although a GPU was wanted (empty when it was asked for).
  CpuDecoderRunner(const LlamaModel& model, kernels::CpuBackend& cpu, int64_t max_positions,
                   std::string note = {})
      : model_(model), cpu_(cpu), cache_(model.make_cache(max_positions)), note_(std::move(note)) {}

  std::string description() const override {
    return "cpu (" + std::to_string(cpu_.threads()) + " thread" + (cpu_.threads() == 1 ? "" : "s") +
           ", " + std::string(kernels::simd_level_name(cpu_.simd())) +
           (note_.empty() ? "" : "; " + note_) + ")";
  }
  int64_t capacity() const override { return cache_.capacity(); }
  const std::vector<int32_t>& tokens() const override { return cache_.tokens(); }
  void truncate(int64_t n) override { cache_.truncate(n); }
  void forward(std::span<const int32_t> tokens, int64_t batch_size) override {
    model_.forward(cpu_, cache_, std::vector<int32_t>(tokens.begin(), tokens.end()), false, logits_,
                   batch_size);
  }
  std::span<float> logits() override { return logits_; }
  int32_t argmax_logits() override { return argmax(logits_); }

 private:
  const LlamaModel& model_;
  kernels::CpuBackend& cpu_;
  KvCache cache_;
  std::string note_;
  std::vector<float> logits_;
};

}  // namespace

std::unique_ptr<DecoderRunner> make_decoder_runner(const LlamaModel& model,
                                                   kernels::CpuBackend& cpu, kernels::Device device,
                                                   int64_t max_positions) {
  const kernels::DeviceChoice choice = kernels::choose_device(device);
  if (choice.device == kernels::Device::Cuda) {
#if PGPP_HAVE_CUDA
    try {
      return std::make_unique<LlamaCuda>(model, max_positions);
    } catch (const Error& e) {
      // auto promised to run wherever it can: a GPU without the memory for this model (or
      // another failure to set it up) leaves the CPU, and the description says why.
      if (device != kernels::Device::Auto) throw;
      return std::make_unique<CpuDecoderRunner>(model, cpu, max_positions,
                                                std::string("the GPU was not used: ") + e.what());
    }
#endif
  }
  return std::make_unique<CpuDecoderRunner>(model, cpu, max_positions);
}

}  // namespace pgpp::llm
