#include "kernels/cpu/attention.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/softmax.h"

namespace pgpp::kernels::cpu {

namespace {

// One (sequence, head): K transposed to head_dim x L so that the scores of query i are axpy
// loops over L (vectorized without horizontal sums), then out[i] = sum_j p_j v_j, axpy over
// head_dim. Compiled once per SIMD level by the wrappers below.
__attribute__((always_inline)) inline void head_attention(SimdLevel level, const float* q, const float* k,
                                                          const float* v, int64_t ld, int64_t len,
                                                          int64_t d, float scale, float* out, int64_t ld_out,
                                                          float* kt, float* s) {
  for (int64_t j = 0; j < len; ++j)
    for (int64_t c = 0; c < d; ++c) kt[c * len + j] = k[j * ld + c];
  for (int64_t i = 0; i < len; ++i) {
    const float* qi = q + i * ld;
    for (int64_t j = 0; j < len; ++j) s[j] = 0.0f;
    for (int64_t c = 0; c < d; ++c) {
      const float qc = qi[c] * scale;
      const float* ktc = kt + c * len;
      for (int64_t j = 0; j < len; ++j) s[j] += qc * ktc[j];
    }
    softmax_row(level, s, len);
    float* oi = out + i * ld_out;
    for (int64_t c = 0; c < d; ++c) oi[c] = 0.0f;
    for (int64_t j = 0; j < len; ++j) {
      const float p = s[j];
      const float* vj = v + j * ld;
      for (int64_t c = 0; c < d; ++c) oi[c] += p * vj[c];
    }
  }
}

using HeadFn = void (*)(SimdLevel, const float*, const float*, const float*, int64_t, int64_t, int64_t, float,
                        float*, int64_t, float*, float*);

void head_scalar(SimdLevel l, const float* q, const float* k, const float* v, int64_t ld, int64_t len, int64_t d,
                 float scale, float* out, int64_t ldo, float* kt, float* s) {
  head_attention(l, q, k, v, ld, len, d, scale, out, ldo, kt, s);
}
__attribute__((target("avx2,fma"))) void head_avx2(SimdLevel l, const float* q, const float* k, const float* v,
                                                   int64_t ld, int64_t len, int64_t d, float scale, float* out,
                                                   int64_t ldo, float* kt, float* s) {
  head_attention(l, q, k, v, ld, len, d, scale, out, ldo, kt, s);
}
__attribute__((target("avx512f"))) void head_avx512(SimdLevel l, const float* q, const float* k, const float* v,
                                                    int64_t ld, int64_t len, int64_t d, float scale, float* out,
                                                    int64_t ldo, float* kt, float* s) {
  head_attention(l, q, k, v, ld, len, d, scale, out, ldo, kt, s);
}

}  // namespace

void attention(CpuBackend& cpu, const float* q, const float* k, const float* v, int64_t ld,
               const int64_t* seq_begin, int64_t n_seqs, int64_t n_heads, int64_t head_dim,
               float scale, float* out, int64_t ld_out) {
  const SimdLevel level = cpu.simd();
  const HeadFn fn = level == SimdLevel::Avx512 ? head_avx512 : level == SimdLevel::Avx2 ? head_avx2 : head_scalar;
  int64_t max_len = 0;
  for (int64_t s = 0; s < n_seqs; ++s) max_len = std::max(max_len, seq_begin[s + 1] - seq_begin[s]);
  cpu.pool().parallel_for(n_seqs * n_heads, [&](int64_t b, int64_t e) {
    std::vector<float> kt(static_cast<std::size_t>(max_len * head_dim)), sc(static_cast<std::size_t>(max_len));
    for (int64_t task = b; task < e; ++task) {
      const int64_t s = task / n_heads, h = task % n_heads;
      const int64_t t0 = seq_begin[s], len = seq_begin[s + 1] - t0;
      if (len <= 0) continue;
      const int64_t col = h * head_dim;
      fn(level, q + t0 * ld + col, k + t0 * ld + col, v + t0 * ld + col, ld, len, head_dim, scale,
         out + t0 * ld_out + col, ld_out, kt.data(), sc.data());
    }
  });
}

}  // namespace pgpp::kernels::cpu
