#pragma once
// Causal softmax attention of new query rows over a KV cache stored in F16, with grouped-query
// attention (n_heads query heads share n_kv_heads key/value heads, n_heads % n_kv_heads == 0).
//
// Layouts:
//   q, out:    n_tokens rows of n_heads * head_dim floats
//   k, v:      cache rows of row_stride F16 values (IEEE half bits); row j holds the key/value of
//              position j, kv head g at offset g * head_dim
// Query row t sits at position first_pos + t and sees cache rows 0 .. first_pos + t.
// Spread over the thread pool by (token, head).
#include <cstdint>

#include "kernels/cpu_backend.h"

namespace pgpp::kernels::cpu {

struct AttentionShape {
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
};

void kv_attention(CpuBackend& cpu, const AttentionShape& shape, const float* q, int64_t n_tokens, int64_t first_pos,
                  const uint16_t* k, const uint16_t* v, int64_t row_stride, float scale, float* out);

}  // namespace pgpp::kernels::cpu
