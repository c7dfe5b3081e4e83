#include "kernels/cpu/attention.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/matmul_float.h"
#include "kernels/cpu/softmax.h"

namespace pgpp::kernels::cpu {

namespace {

// One (sequence, head) as two small GEMMs on the calling thread: S = (scale K) Q^T with K
// packed as the "weight", row softmax, then out = P V with V^T packed (its panels are plain
// copies of V's rows). Packing is O(L d) against O(L^2 d) products.
void head_attention(SimdLevel level, const float* q, const float* k, const float* v, int64_t ld, int64_t len,
                    int64_t d, float scale, float* out, int64_t ld_out, std::vector<float>& packed,
                    std::vector<float>& scores) {
  packed.resize(std::max(packed_size(len, d), packed_size(d, len)));
  scores.resize(static_cast<std::size_t>(len * len));
  pack_rows(k, ld, len, d, packed.data());
  if (scale != 1.0f) {
    for (std::size_t i = 0; i < packed_size(len, d); ++i) packed[i] *= scale;
  }
  gemm_serial(level, packed.data(), len, d, q, ld, len, scores.data(), len);
  for (int64_t i = 0; i < len; ++i) softmax_row(level, scores.data() + i * len, len);
  pack_columns(v, ld, d, len, packed.data());
  gemm_serial(level, packed.data(), d, len, scores.data(), len, len, out, ld_out);
}

}  // namespace

void attention(CpuBackend& cpu, const float* q, const float* k, const float* v, int64_t ld,
               const int64_t* seq_begin, int64_t n_seqs, int64_t n_heads, int64_t head_dim,
               float scale, float* out, int64_t ld_out) {
  const SimdLevel level = cpu.simd();
  cpu.pool().parallel_for(n_seqs * n_heads, [&](int64_t b, int64_t e) {
    std::vector<float> packed, scores;
    for (int64_t task = b; task < e; ++task) {
      const int64_t s = task / n_heads, h = task % n_heads;
      const int64_t t0 = seq_begin[s], len = seq_begin[s + 1] - t0;
      if (len <= 0) continue;
      const int64_t col = h * head_dim;
      head_attention(level, q + t0 * ld + col, k + t0 * ld + col, v + t0 * ld + col, ld, len, head_dim, scale,
                     out + t0 * ld_out + col, ld_out, packed, scores);
    }
  });
}

}  // namespace pgpp::kernels::cpu
