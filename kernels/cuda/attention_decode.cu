// Attention of one new token over the F16 KV cache (the decode step), flash-decoding style:
//
//   1. split kernel, grid (kv head, split): split s covers cache rows [s*kKeysPerSplit,
//      (s+1)*kKeysPerSplit). A block scores its keys for every query head sharing the kv head
//      (GQA: each K/V row is read once for the whole group), takes the softmax's maximum m and
//      sum l over its keys, and accumulates o = sum exp(score - m) * v.
//   2. combine kernel, one block per query head: rescales the splits' (m, l, o) to the global
//      maximum and writes o / l.
//
// The length (positions[0] + 1) is read on the device, and the grid is sized from the cache's
// capacity: splits past the length return at once and the combine reads only those below it,
// so the same launch serves every position and a captured CUDA graph replays correctly.
//
// Partials: n_heads * n_splits records of (o[head_dim], m, l) in scratch slot
// kScratchAttentionPartials (few_token_ops.h).
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <atomic>
#include <cmath>
#include <string>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/few_token_ops.h"

namespace pgpp::kernels::cuda {

namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
// Keys per split: long enough that a split's fixed costs (q load, reductions) are small next to
// reading its keys; short enough that a 4k context already gives 16 splits per kv head.
constexpr int kKeysPerSplit = 256;
constexpr int kMaxHeadDim = 256;  // a lane holds head_dim / 64 <= 4 half pairs of a key
constexpr int kHeadsPerPass = 8;  // query heads accumulated together in the V pass
constexpr int kHalfPairsPerLane = kMaxHeadDim / 64;

__device__ __forceinline__ int64_t sequence_length(const int32_t* positions,
                                                   int64_t max_positions) {
  const int64_t len = static_cast<int64_t>(positions[0]) + 1;
  return len < 1 ? 1 : (len > max_positions ? max_positions : len);
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xFFFFFFFFu, v, offset);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int offset = 16; offset > 0; offset /= 2)
    v = fmaxf(v, __shfl_xor_sync(0xFFFFFFFFu, v, offset));
  return v;
}

// Shared memory of the split kernel, in floats: the group's queries, their scores, and the
// V pass's per-part sums.
struct SplitSmem {
  int64_t q, scores, sums, total;
};

// Many query heads per kv head (32 on 1, say) need more than the default 48 KiB of shared memory
// per block; the GPU gives up to its opt-in limit (227 KiB on Hopper) when asked. Asked once per
// size, so a decode step captured in a graph (after a warm-up step) makes no such call.
template <class Kernel>
void allow_shared_memory_for(Kernel kernel, std::size_t bytes, const std::string& op) {
  static std::atomic<std::size_t> allowed{48 * 1024};
  if (bytes <= allowed.load()) return;
  int device = 0, optin = 0;
  check_cuda(cudaGetDevice(&device), op + ": which GPU");
  check_cuda(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
             op + ": shared memory limit");
  if (bytes > static_cast<std::size_t>(optin)) {
    throw Error("CUDA " + op + ": too many query heads per kv head (needs " +
                std::to_string(bytes / 1024) + " KiB of shared memory, the GPU allows " +
                std::to_string(optin / 1024) + ")");
  }
  check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(bytes)),
             op + ": raise the shared memory limit");
  allowed.store(bytes);
}

__host__ __device__ SplitSmem split_smem(int64_t group, int64_t head_dim, int parts) {
  SplitSmem s{};
  s.q = 0;
  s.scores = s.q + group * head_dim;
  s.sums = s.scores + group * kKeysPerSplit;
  s.total = s.sums + int64_t{parts} * kHeadsPerPass * head_dim;
  return s;
}

__global__ void __launch_bounds__(kThreads)
    attention_split_kernel(const float* q, const int32_t* positions, int64_t max_positions,
                           const __half* k, const __half* v, int64_t row_stride, int64_t group,
                           int64_t head_dim, float scale, int parts, int64_t n_splits,
                           float* partials) {
  const int64_t len = sequence_length(positions, max_positions);
  const int64_t kv_head = blockIdx.x;
  const int64_t split = blockIdx.y;
  const int64_t first = split * kKeysPerSplit;
  if (first >= len) return;  // past the sequence: the combine does not read this split
  const int64_t n_keys = len - first < kKeysPerSplit ? len - first : kKeysPerSplit;

  extern __shared__ float smem[];
  const SplitSmem layout = split_smem(group, head_dim, parts);
  float* qs = smem + layout.q;
  float* scores = smem + layout.scores;
  float* sums = smem + layout.sums;
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  const int64_t pairs = head_dim / 2;

  // The group's query heads are contiguous: heads kv_head * group .. + group.
  const float* qg = q + kv_head * group * head_dim;
  for (int64_t i = threadIdx.x; i < group * head_dim; i += kThreads) qs[i] = qg[i];
  __syncthreads();

  // Scores: a warp per key, its lanes over the head's dimensions in half pairs.
  const __half* kbase = k + kv_head * head_dim;
  for (int64_t j = warp; j < n_keys; j += kWarps) {
    const auto* krow = reinterpret_cast<const __half2*>(kbase + (first + j) * row_stride);
    float2 kf[kHalfPairsPerLane];
#pragma unroll
    for (int m = 0; m < kHalfPairsPerLane; ++m) {
      const int64_t p = lane + 32 * m;
      kf[m] = p < pairs ? __half22float2(krow[p]) : make_float2(0.0f, 0.0f);
    }
    for (int64_t h = 0; h < group; ++h) {
      const float* qh = qs + h * head_dim;
      float dot = 0.0f;
#pragma unroll
      for (int m = 0; m < kHalfPairsPerLane; ++m) {
        const int64_t p = lane + 32 * m;
        if (p < pairs) dot += qh[2 * p] * kf[m].x + qh[2 * p + 1] * kf[m].y;
      }
      dot = warp_sum(dot);
      if (lane == 0) scores[h * kKeysPerSplit + j] = dot * scale;
    }
  }
  __syncthreads();

  // Softmax pieces per query head: a warp per head; scores become exp(score - m).
  const int64_t record = head_dim + 2;  // o[head_dim], m, l
  for (int64_t h = warp; h < group; h += kWarps) {
    float* sh = scores + h * kKeysPerSplit;
    float m = -INFINITY;
    for (int64_t j = lane; j < n_keys; j += 32) m = fmaxf(m, sh[j]);
    m = warp_max(m);
    float l = 0.0f;
    for (int64_t j = lane; j < n_keys; j += 32) {
      const float p = expf(sh[j] - m);
      sh[j] = p;
      l += p;
    }
    l = warp_sum(l);
    if (lane == 0) {
      float* rec = partials + ((kv_head * group + h) * n_splits + split) * record;
      rec[head_dim] = m;
      rec[head_dim + 1] = l;
    }
  }
  __syncthreads();

  // o = sum_j p_j v_j: thread (part, pair) takes keys part, part + parts, ... for one pair of
  // dimensions, so consecutive threads read consecutive bytes of a V row; the parts' sums
  // meet in shared memory.
  const int64_t part = threadIdx.x / pairs;
  const int64_t pair = threadIdx.x % pairs;
  const bool active = part < parts;
  const __half* vbase = v + kv_head * head_dim;
  for (int64_t h0 = 0; h0 < group; h0 += kHeadsPerPass) {
    const int64_t nh = group - h0 < kHeadsPerPass ? group - h0 : kHeadsPerPass;
    float2 acc[kHeadsPerPass];
#pragma unroll
    for (int h = 0; h < kHeadsPerPass; ++h) acc[h] = make_float2(0.0f, 0.0f);
    if (active) {
      for (int64_t j = part; j < n_keys; j += parts) {
        const float2 vf = __half22float2(
            reinterpret_cast<const __half2*>(vbase + (first + j) * row_stride)[pair]);
#pragma unroll
        for (int h = 0; h < kHeadsPerPass; ++h) {
          if (h < nh) {
            const float p = scores[(h0 + h) * kKeysPerSplit + j];
            acc[h].x = fmaf(p, vf.x, acc[h].x);
            acc[h].y = fmaf(p, vf.y, acc[h].y);
          }
        }
      }
#pragma unroll
      for (int h = 0; h < kHeadsPerPass; ++h) {
        if (h < nh) {
          float* s = sums + (part * kHeadsPerPass + h) * head_dim + 2 * pair;
          s[0] = acc[h].x;
          s[1] = acc[h].y;
        }
      }
    }
    __syncthreads();
    for (int64_t i = threadIdx.x; i < nh * head_dim; i += kThreads) {
      const int64_t h = i / head_dim;
      const int64_t d = i % head_dim;
      float o = 0.0f;
      for (int p = 0; p < parts; ++p) o += sums[(p * kHeadsPerPass + h) * head_dim + d];
      partials[((kv_head * group + h0 + h) * n_splits + split) * record + d] = o;
    }
    __syncthreads();
  }
}

// One block per query head: out = sum_s o_s e^(m_s - M) / sum_s l_s e^(m_s - M), M = max m_s.
// Shared memory: the splits' weights e^(m_s - M).
__global__ void __launch_bounds__(kThreads)
    attention_combine_kernel(const int32_t* positions, int64_t max_positions, int64_t head_dim,
                             int64_t n_splits, const float* partials, float* out) {
  extern __shared__ float weights[];
  __shared__ float reduce[kWarps];
  const int64_t len = sequence_length(positions, max_positions);
  const int64_t n_active = (len + kKeysPerSplit - 1) / kKeysPerSplit;
  const int64_t head = blockIdx.x;
  const int64_t record = head_dim + 2;
  const float* recs = partials + head * n_splits * record;
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;

  float m = -INFINITY;
  for (int64_t s = threadIdx.x; s < n_active; s += kThreads)
    m = fmaxf(m, recs[s * record + head_dim]);
  m = warp_max(m);
  if (lane == 0) reduce[warp] = m;
  __syncthreads();
  float global_max = reduce[0];
  for (int w = 1; w < kWarps; ++w) global_max = fmaxf(global_max, reduce[w]);
  __syncthreads();  // reduce is reused below

  float l = 0.0f;
  for (int64_t s = threadIdx.x; s < n_active; s += kThreads) {
    const float w = expf(recs[s * record + head_dim] - global_max);
    weights[s] = w;
    l += recs[s * record + head_dim + 1] * w;
  }
  l = warp_sum(l);
  if (lane == 0) reduce[warp] = l;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < kWarps; ++w) total += reduce[w];
  const float inv = 1.0f / total;

  for (int64_t d = threadIdx.x; d < head_dim; d += kThreads) {
    float o = 0.0f;
    for (int64_t s = 0; s < n_active; ++s) o = fmaf(recs[s * record + d], weights[s], o);
    out[head * head_dim + d] = o * inv;
  }
}

}  // namespace

void kv_attention_decode(CudaContext& ctx, const AttentionShape& shape, const float* q,
                         const int32_t* positions, int64_t max_positions, const uint16_t* k,
                         const uint16_t* v, int64_t row_stride, float scale, float* out) {
  const int64_t nh = shape.n_heads, nkv = shape.n_kv_heads, hd = shape.head_dim;
  const std::string op = "attention (decode) of " + std::to_string(nh) + " heads over " +
                         std::to_string(nkv) + " kv heads of " + std::to_string(hd) + ", up to " +
                         std::to_string(max_positions) + " positions";
  if (nkv <= 0 || nh <= 0 || nh % nkv != 0 || row_stride < nkv * hd) {
    throw Error("CUDA " + op +
                ": query heads cannot share the kv heads, or cache rows are too short");
  }
  // Keys are read as half pairs: dimensions and rows must start on 4-byte boundaries.
  if (hd <= 0 || hd % 2 != 0 || hd > kMaxHeadDim || row_stride % 2 != 0) {
    throw Error("CUDA " + op + ": head size must be even and at most " +
                std::to_string(kMaxHeadDim) + ", cache rows an even number of halves");
  }
  if (max_positions <= 0) throw Error("CUDA " + op + ": empty cache");
  const int64_t group = nh / nkv;
  const int64_t n_splits = (max_positions + kKeysPerSplit - 1) / kKeysPerSplit;
  if (n_splits > 65535 || nkv > 0x7FFFFFFF)
    throw Error("CUDA " + op + ": too long a cache for one launch");
  const int parts = static_cast<int>(kThreads / (hd / 2));
  const SplitSmem layout = split_smem(group, hd, parts);
  const std::size_t split_bytes = static_cast<std::size_t>(layout.total) * sizeof(float);
  if (split_bytes > 48 * 1024) allow_shared_memory_for(attention_split_kernel, split_bytes, op);
  const std::size_t combine_bytes = static_cast<std::size_t>(n_splits) * sizeof(float);
  if (combine_bytes > 48 * 1024) throw Error("CUDA " + op + ": too long a cache for one launch");

  auto* partials = static_cast<float*>(
      ctx.scratch(kScratchAttentionPartials,
                  static_cast<std::size_t>(nh * n_splits * (hd + 2)) * sizeof(float)));
  const cudaStream_t stream = as_stream(ctx.stream());
  const dim3 grid(static_cast<unsigned>(nkv), static_cast<unsigned>(n_splits));
  attention_split_kernel<<<grid, kThreads, split_bytes, stream>>>(
      q, positions, max_positions, reinterpret_cast<const __half*>(k),
      reinterpret_cast<const __half*>(v), row_stride, group, hd, scale, parts, n_splits, partials);
  check_launch(op + " (splits)");
  attention_combine_kernel<<<static_cast<unsigned>(nh), kThreads, combine_bytes, stream>>>(
      positions, max_positions, hd, n_splits, partials, out);
  check_launch(op + " (combine)");
}

}  // namespace pgpp::kernels::cuda
