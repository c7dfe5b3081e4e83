#pragma once
// The operations a Llama-family decoder runs on the GPU, the CUDA counterparts of kernels/cpu
// and kernels::matmul. Same shapes, layouts and meaning as the CPU ones (which are the
// reference the GPU tests compare with); every pointer is device memory, every call is queued
// on the context's stream and returns at once. Errors name the operation.
//
// Positions are read from device memory, never passed by value, so a decode step captured in
// a CUDA graph stays valid when replayed at the next position.
#include <cstdint>

#include "kernels/cuda/cuda_context.h"
#include "kernels/dtype.h"

namespace pgpp::kernels::cuda {

// A weight matrix on the device in its stored block format: `rows` rows of `cols` weights
// (GGML order: cols = ne[0] = in_features), each row_bytes long.
struct DeviceMatrix {
  DType type = DType::F32;
  int64_t cols = 0;
  int64_t rows = 0;
  const void* data = nullptr;
  std::size_t row_bytes = 0;
};

// True for the weight types matmul and get_rows accept on the GPU.
bool matmul_supports(DType type);

// y[t][r] = sum_k W[r][k] * x[t][k], x: n_tokens x cols floats, y: n_tokens x rows floats.
// Few tokens (decode): a fused dequantize-and-multiply kernel reading each weight once for all
// tokens. Many tokens (prefill): W dequantized to FP16 tiles and multiplied by cuBLAS with FP32
// accumulation.
void matmul(CudaContext& ctx, const DeviceMatrix& w, const float* x, int64_t n_tokens, float* y);

// Rows ids[t] of W as floats (the token embedding look-up): out is n x cols.
void get_rows(CudaContext& ctx, const DeviceMatrix& w, const int32_t* ids, int64_t n, float* out);

// out[r] = x[r] / rms(x[r]) * gamma, per row of `dim` floats (as cpu::rms_norm).
void rms_norm(CudaContext& ctx, const float* x, const float* gamma, int64_t n_rows, int64_t dim, float eps,
              float* out);

// x[i] += y[i].
void add_in_place(CudaContext& ctx, float* x, const float* y, int64_t n);

// y[t][i] += bias[i], n_rows rows of dim.
void add_bias(CudaContext& ctx, float* y, const float* bias, int64_t n_rows, int64_t dim);

// RoPE in place, as cpu::Rope::apply: x is n_tokens rows of n_heads * head_dim; token t is at
// positions[t]; theta holds n_rot/2 angles per position step (cpu::Rope::theta(i)); neox picks
// the pairing (x[i], x[i + n_rot/2]) instead of (x[2i], x[2i+1]). theta is in double, as the
// CPU keeps it: a float theta alone is off by up to 2^-24 relative, which at position 100000
// turns the angle by ~0.006 rad (the angles are formed and reduced in double, then rotated in
// float).
void rope(CudaContext& ctx, float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t n_rot,
          bool neox, const double* theta, const int32_t* positions);

// out[i] = silu(gate[i]) * up[i]; out may be gate.
void swiglu(CudaContext& ctx, const float* gate, const float* up, int64_t n, float* out);

// Writes k and v (n_tokens rows of kv_dim floats) as IEEE halves into cache rows positions[t].
void store_kv(CudaContext& ctx, const float* k, const float* v, int64_t n_tokens, int64_t kv_dim,
              const int32_t* positions, uint16_t* k_cache, uint16_t* v_cache);

struct AttentionShape {
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
};

// Causal attention over an F16 KV cache, as cpu::kv_attention: query row t (n_heads * head_dim
// floats) sits at positions[t] and sees cache rows 0 .. positions[t]; row j of k/v holds
// position j, kv head g at offset g * head_dim, rows row_stride halves apart. max_positions
// (the cache's capacity) bounds what the device-side positions may say. One token: the
// sequence is split over blocks and the partial softmaxes combined (flash-decoding); more:
// tiled causal attention with an online softmax.
void kv_attention(CudaContext& ctx, const AttentionShape& shape, const float* q, int64_t n_tokens,
                  const int32_t* positions, int64_t max_positions, const uint16_t* k, const uint16_t* v,
                  int64_t row_stride, float scale, float* out);

// *out = the index of the largest of x[0 .. n) (the lowest index among equals): greedy
// sampling without copying the logits to the host.
void argmax(CudaContext& ctx, const float* x, int64_t n, int32_t* out);

// The sampler's penalties (llm::Sampler::apply_penalties), in place: for each of the n distinct
// recent tokens ids[i], seen counts[i] times, its logit l becomes (l > 0 ? l / repeat :
// l * repeat) - (presence + frequency * count), rounded exactly as the host does it, so greedy
// decoding with penalties picks the same token on either side. Ids outside [0, n_vocab) are
// skipped.
void apply_penalties(CudaContext& ctx, float* logits, int64_t n_vocab, const int32_t* ids, const int32_t* counts,
                     int64_t n, float repeat, float presence, float frequency);

}  // namespace pgpp::kernels::cuda
