#pragma once
// The inner step that the encoder's attention and the decoder's prompt attention share: a warp
// holds kQueries query rows and meets a tile of 32 keys (one key per lane) held in shared
// memory, updating an online softmax (running max m, running sum l, unnormalised output acc)
// so the score matrix is never formed. FP32 arithmetic throughout; inputs may have been FP16.
//
// Shared layouts, all floats: queries kQueries rows of head_dim (already scaled; 16-byte
// aligned, read as float4); keys 32 rows of head_dim + 1 (the pad puts lane j's row j in bank
// j, so reading column d of every row is conflict-free); values 32 rows of head_dim (lanes
// read one row, consecutive columns).
// Lane l owns output columns l, l + 32, ..., so head_dim = 32 * kDimsPerLane.
#include <cuda_runtime.h>

#include <cmath>

namespace pgpp::kernels::cuda::detail {

template <int kQueries, int kDimsPerLane>
struct OnlineSoftmax {
  float m[kQueries];
  float l[kQueries];
  float acc[kQueries][kDimsPerLane];

  __device__ void reset() {
#pragma unroll
    for (int i = 0; i < kQueries; ++i) {
      m[i] = -INFINITY;
      l[i] = 0.0f;
#pragma unroll
      for (int c = 0; c < kDimsPerLane; ++c) acc[i][c] = 0.0f;
    }
  }

  // visible(i, lane) says whether query i may see the tile's key `lane` (its causal mask, or
  // whether the key exists at all).
  template <class Visible>
  __device__ void attend(const float* queries, const float* keys, const float* values,
                         Visible visible) {
    constexpr int kDim = 32 * kDimsPerLane;
    const int lane = static_cast<int>(threadIdx.x) & 31;
    float score[kQueries];
#pragma unroll
    for (int i = 0; i < kQueries; ++i) score[i] = 0.0f;
    const float* my_key = keys + lane * (kDim + 1);
    // Queries are read four columns at a time (one 16-byte broadcast load instead of four):
    // this loop is bound by shared-memory instructions, not by the FMAs.
#pragma unroll 2
    for (int d = 0; d < kDim; d += 4) {
      const float k0 = my_key[d], k1 = my_key[d + 1], k2 = my_key[d + 2], k3 = my_key[d + 3];
#pragma unroll
      for (int i = 0; i < kQueries; ++i) {
        const float4 q = *reinterpret_cast<const float4*>(queries + i * kDim + d);
        score[i] = fmaf(q.x, k0, fmaf(q.y, k1, fmaf(q.z, k2, fmaf(q.w, k3, score[i]))));
      }
    }
#pragma unroll
    for (int i = 0; i < kQueries; ++i) {
      const float s = visible(i, lane) ? score[i] : -INFINITY;
      float tile_max = s;
#pragma unroll
      for (int o = 16; o > 0; o >>= 1)
        tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, o));
      const float m_new = fmaxf(m[i], tile_max);
      if (m_new == -INFINITY) {  // nothing visible yet for this query: state unchanged
        score[i] = 0.0f;
        continue;
      }
      const float correction = __expf(m[i] - m_new);  // 0 when m was -inf
      const float p = s == -INFINITY ? 0.0f : __expf(s - m_new);
      float p_sum = p;
#pragma unroll
      for (int o = 16; o > 0; o >>= 1) p_sum += __shfl_xor_sync(0xffffffffu, p_sum, o);
      l[i] = l[i] * correction + p_sum;
      m[i] = m_new;
#pragma unroll
      for (int c = 0; c < kDimsPerLane; ++c) acc[i][c] *= correction;
      score[i] = p;
    }
    // acc[i][c] += sum_j p_ij v_j[lane + 32c]: p_ij broadcast from lane j.
#pragma unroll 4
    for (int j = 0; j < 32; ++j) {
      float vj[kDimsPerLane];
#pragma unroll
      for (int c = 0; c < kDimsPerLane; ++c) vj[c] = values[j * kDim + lane + 32 * c];
#pragma unroll
      for (int i = 0; i < kQueries; ++i) {
        const float p = __shfl_sync(0xffffffffu, score[i], j);
#pragma unroll
        for (int c = 0; c < kDimsPerLane; ++c) acc[i][c] = fmaf(p, vj[c], acc[i][c]);
      }
    }
  }

  // Output column lane + 32c of query i.
  __device__ float result(int i, int c) const {
    return l[i] > 0.0f ? acc[i][c] / l[i] : 0.0f;
  }
};

}  // namespace pgpp::kernels::cuda::detail
