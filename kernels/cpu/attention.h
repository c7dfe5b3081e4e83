#pragma once
// Multi-head self-attention over packed sequences, as an encoder uses it (no causal mask, no KV
// cache). Sequences of different lengths are laid end to end instead of padded: token rows
// [seq_begin[s], seq_begin[s+1]) form sequence s, and a token attends only to tokens of its own
// sequence — the same result as a padding mask, without computing the padded rows.
//
//   q, k, v: rows of n_heads * head_dim floats, row stride ld (head h at columns h*head_dim).
//   out:     same layout, row stride ld_out.
//   out_h[i] = sum_j softmax_j(scale * q_h[i] . k_h[j]) v_h[j]
#include <cstdint>

#include "kernels/cpu_backend.h"

namespace pgpp::kernels::cpu {

void attention(CpuBackend& cpu, const float* q, const float* k, const float* v, int64_t ld,
               const int64_t* seq_begin, int64_t n_seqs, int64_t n_heads, int64_t head_dim,
               float scale, float* out, int64_t ld_out);

}  // namespace pgpp::kernels::cpu
