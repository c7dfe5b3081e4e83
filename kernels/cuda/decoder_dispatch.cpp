// decoder_ops.h's matmul and kv_attention: which kernel serves a call, by its number of tokens.
// Kept apart from the kernels so that a program using only the decode kernels (their GPU test)
// does not pull in the prefill ones, and the other way round.
#include <string>

#include "kernels/cuda/few_token_ops.h"
#include "kernels/cuda/prefill_ops.h"
#include "kernels/error.h"

namespace pgpp::kernels::cuda {

void matmul(CudaContext& ctx, const DeviceMatrix& w, const float* x, int64_t n_tokens, float* y) {
  if (n_tokens <= 0) throw Error("CUDA matmul: " + std::to_string(n_tokens) + " tokens");
  // Up to 8 tokens the weights' single read dominates and the fused kernel reaches it; beyond,
  // tensor cores on FP16 tiles win (NOTES.md, "Decode kernels").
  if (n_tokens <= kMatvecMaxTokens) {
    matmul_matvec(ctx, w, x, n_tokens, y);
  } else {
    matmul_gemm(ctx, w, x, n_tokens, y);
  }
}

void kv_attention(CudaContext& ctx, const AttentionShape& shape, const float* q, int64_t n_tokens,
                  const int32_t* positions, int64_t max_positions, const uint16_t* k,
                  const uint16_t* v, int64_t row_stride, float scale, float* out) {
  if (n_tokens <= 0) throw Error("CUDA attention: " + std::to_string(n_tokens) + " tokens");
  if (n_tokens == 1) {
    kv_attention_decode(ctx, shape, q, positions, max_positions, k, v, row_stride, scale, out);
  } else {
    kv_attention_prefill(ctx, shape, q, n_tokens, positions, max_positions, k, v, row_stride, scale,
                         out);
  }
}

}  // namespace pgpp::kernels::cuda
