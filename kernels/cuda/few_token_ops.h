#pragma once
// The one-to-few-token halves of decoder_ops.h's matmul and kv_attention (the decode step),
// which those dispatch to; the counterpart of prefill_ops.h. Not for direct use by models
// (decoder_ops.h is the interface); tests call these to exercise the decode kernels alone.
#include <cstdint>

#include "kernels/cuda/decoder_ops.h"

namespace pgpp::kernels::cuda {

// Largest n_tokens matmul_matvec takes: every weight is read once for all the tokens, whose
// activations live in registers and shared memory.
inline constexpr int64_t kMatvecMaxTokens = 8;

// As matmul for 1 <= n_tokens <= kMatvecMaxTokens: a fused dequantize-and-multiply kernel.
void matmul_matvec(CudaContext& ctx, const DeviceMatrix& w, const float* x, int64_t n_tokens,
                   float* y);

// As kv_attention for one query token (flash-decoding). Uses scratch slot
// kScratchAttentionPartials for the per-split partial results.
void kv_attention_decode(CudaContext& ctx, const AttentionShape& shape, const float* q,
                         const int32_t* positions, int64_t max_positions, const uint16_t* k,
                         const uint16_t* v, int64_t row_stride, float scale, float* out);

// Scratch slots of the decode kernels (slots 0-1 are theirs; see CudaContext::scratch).
inline constexpr int kScratchAttentionPartials = 0;

}  // namespace pgpp::kernels::cuda
