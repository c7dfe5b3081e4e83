#pragma once
// The operations of a batched FP16 BERT encoder on the GPU (embed/cuda/bert_cuda.h uses them):
// the CUDA counterparts of kernels::matmul + bias, cpu::gelu, cpu::layer_norm and
// cpu::attention, plus the embedding sum and the sentence pooling, so a batch goes from token
// ids to pooled vectors without leaving the device.
//
// Weights are FP16 (IEEE half bits in uint16_t, nn.Linear's layout: rows = out_features of
// cols = in_features). Activations between the linear layers are FP16; the residual stream
// stays FP32 and every sum (GEMM, LayerNorm, softmax, pooling) is FP32. Sequences are packed
// end to end as on the CPU: token rows [seq_begin[s], seq_begin[s+1]) form sequence s, and
// seq_begin lives on the device. Every pointer is device memory; every call is queued on the
// context's stream and returns at once.
#include <cstdint>

#include "kernels/cuda/cuda_context.h"

namespace pgpp::kernels::cuda {

enum class Activation { None, Gelu };  // Gelu: the exact erf form BERT uses

// y[t][r] = act(sum_k W[r][k] x[t][k] + bias[r]), x: n x cols halves, y: n x rows halves.
void linear_f16(CudaContext& ctx, const uint16_t* w, const float* bias, int64_t rows, int64_t cols,
                const uint16_t* x, int64_t n, Activation act, uint16_t* y);

// As linear_f16 without activation, FP32 output: what feeds a residual + LayerNorm.
void linear_f32(CudaContext& ctx, const uint16_t* w, const float* bias, int64_t rows, int64_t cols,
                const uint16_t* x, int64_t n, float* y);

// x[r] = LayerNorm(y[r] + x[r]) * gamma + beta (biased variance, as torch), rows of dim; the
// result is written to x (FP32) and x_half (FP16, the next linear layer's input).
void add_layer_norm(CudaContext& ctx, const float* y, float* x, uint16_t* x_half, int64_t rows,
                    int64_t dim, const float* gamma, const float* beta, float eps);

// x[t] = LayerNorm(word[ids[t]] + position[positions[t]] + token_type0), written to x and
// x_half. word: FP16 rows of dim; position: FP32 rows of dim; token_type0: dim floats.
void embed_layer_norm(CudaContext& ctx, const int32_t* ids, const int32_t* positions, int64_t n,
                      const uint16_t* word, const float* position, const float* token_type0,
                      int64_t dim, const float* gamma, const float* beta, float eps, float* x,
                      uint16_t* x_half);

// Self-attention inside each packed sequence (no mask beyond the sequence's own tokens), as
// cpu::attention: q, k, v rows of ld halves, head h at columns h*head_dim; out rows of ld_out
// halves. max_len bounds the longest sequence (it sizes the grid). head_dim a multiple of 32
// up to 128; throws pgpp::Error otherwise. FP32 arithmetic.
void packed_attention(CudaContext& ctx, const uint16_t* q, const uint16_t* k, const uint16_t* v,
                      int64_t ld, const int32_t* seq_begin, int64_t n_seqs, int64_t max_len,
                      int64_t n_heads, int64_t head_dim, float scale, uint16_t* out,
                      int64_t ld_out);

enum class Pooling { Mean, Cls };

// out[s] = mean of x's rows of sequence s (every token) or its first row, then divided by
// max(||.||, 1e-12) when normalize (torch.nn.functional.normalize). out: n_seqs x dim floats.
void pool_sequences(CudaContext& ctx, const float* x, const int32_t* seq_begin, int64_t n_seqs,
                    int64_t dim, Pooling pooling, bool normalize, float* out);

}  // namespace pgpp::kernels::cuda
