#pragma once
// BertModel's forward pass on the GPU, from the same weights: the linear layers are converted
// to FP16 once, at construction, and a batch runs from token ids to final hidden states (or
// pooled, normalised vectors) on the device (kernels/cuda/encoder_ops.h). Same packing of
// sequences as the CPU (seq_begin), same results within FP16 rounding. Built only with the
// CUDA backend; host C++, no CUDA types.
#include <cstdint>
#include <vector>

#include "embed/bert_model.h"
#include "kernels/cuda/cuda_context.h"
#include "kernels/cuda/device_array.h"
#include "kernels/cuda/encoder_ops.h"

namespace pgpp::embed {

class BertCuda {
 public:
  // Copies `model`'s weights to the GPU of `ctx` (which must outlive this). Throws pgpp::Error
  // when the GPU has not the memory, or the head size is one the attention kernel lacks.
  BertCuda(const BertModel& model, kernels::cuda::CudaContext& ctx);

  // As BertModel::forward: ids.size() x hidden floats of final hidden states.
  std::vector<float> forward(const std::vector<int32_t>& ids,
                             const std::vector<int64_t>& seq_begin);

  // One vector per sequence: mean or CLS pooling, then L2 normalisation when `normalize`
  // (n_seqs x hidden floats), computed on the device so only the vectors come back.
  std::vector<float> embed(const std::vector<int32_t>& ids, const std::vector<int64_t>& seq_begin,
                           kernels::cuda::Pooling pooling, bool normalize);

 private:
  template <class T>
  using DeviceArray = kernels::cuda::DeviceArray<T>;
  struct Linear {
    DeviceArray<uint16_t> w;  // rows x cols FP16
    DeviceArray<float> bias;
    int64_t rows = 0, cols = 0;
  };
  struct Norm {
    DeviceArray<float> gamma, beta;
  };
  struct Layer {
    Linear qkv;  // query, key and value stacked: one GEMM reads the input once
    Linear out, ffn_in, ffn_out;
    Norm attn_norm, ffn_norm;
  };

  // Runs the encoder on the batch; the hidden states are then in x_.
  void run(const std::vector<int32_t>& ids, const std::vector<int64_t>& seq_begin);
  void reserve(int64_t n_tokens, int64_t n_seqs);

  kernels::cuda::CudaContext& ctx_;
  BertConfig config_;
  int64_t vocab_ = 0;
  DeviceArray<uint16_t> word_;   // vocab x hidden FP16
  DeviceArray<float> position_;  // max_positions x hidden
  DeviceArray<float> token_type0_;
  Norm embedding_norm_;
  std::vector<Layer> layers_;

  // Activations, grown to the largest batch seen.
  int64_t token_capacity_ = 0, seq_capacity_ = 0;
  DeviceArray<int32_t> ids_, positions_, seq_begin_;
  DeviceArray<float> x_, y_, pooled_;
  DeviceArray<uint16_t> x_half_, qkv_, context_, ffn_;
};

}  // namespace pgpp::embed
