#pragma once
// The many-token halves of decoder_ops.h's matmul and kv_attention, which dispatch here above a
// few tokens. Not for direct use by models (decoder_ops.h is the interface).
#include <cstdint>

#include "kernels/cuda/decoder_ops.h"

namespace pgpp::kernels::cuda {

// As matmul, for any n_tokens: W dequantized to FP16 (in row tiles, into scratch), x converted
// to FP16, cublasGemmEx with FP32 accumulation into y.
void matmul_gemm(CudaContext& ctx, const DeviceMatrix& w, const float* x, int64_t n_tokens, float* y);

// As kv_attention, for n_tokens > 1 (prompt processing): tiles of queries against tiles of
// keys in shared memory with an online softmax, never forming the score matrix.
void kv_attention_prefill(CudaContext& ctx, const AttentionShape& shape, const float* q, int64_t n_tokens,
                          const int32_t* positions, int64_t max_positions, const uint16_t* k,
                          const uint16_t* v, int64_t row_stride, float scale, float* out);

// W's rows [row0, row0 + n_rows) dequantized to IEEE halves: out is n_rows x cols.
void dequantize_to_f16(CudaContext& ctx, const DeviceMatrix& w, int64_t row0, int64_t n_rows, uint16_t* out);

}  // namespace pgpp::kernels::cuda
