// Greedy sampling on the GPU: the index of the largest logit, so a decode step hands 4 bytes
// back to the host instead of the vocabulary's logits.
//
// Ties go to the lowest index (as llm::argmax, std::max_element). NaN values are skipped: a
// NaN is never chosen while any other value exists, and when every value is NaN the answer is
// 0. (std::max_element differs only when x[0] is NaN, where it answers 0 whatever follows.)
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/decoder_ops.h"

namespace pgpp::kernels::cuda {

namespace {

// One block: a vocabulary of 128k floats is half a megabyte, read in a few microseconds by one
// SM, and one block needs no second pass, no scratch and no atomics (a captured graph stays
// simple).
constexpr int kThreads = 1024;
constexpr int32_t kNone = INT32_MAX;  // no candidate yet (all seen were NaN)

// (value, index) a beats b: larger, or equal and earlier; NaN values never beat anything.
__device__ __forceinline__ bool beats(float va, int32_t ia, float vb, int32_t ib) {
  if (ia == kNone) return false;
  if (ib == kNone) return true;
  return va > vb || (va == vb && ia < ib);
}

__global__ void __launch_bounds__(kThreads) argmax_kernel(const float* x, int64_t n, int32_t* out) {
  float best = -INFINITY;
  int32_t best_index = kNone;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) {
    const float v = x[i];
    if (isnan(v)) continue;
    if (beats(v, static_cast<int32_t>(i), best, best_index)) {
      best = v;
      best_index = static_cast<int32_t>(i);
    }
  }
  for (int offset = 16; offset > 0; offset /= 2) {
    const float v = __shfl_xor_sync(0xFFFFFFFFu, best, offset);
    const int32_t i = __shfl_xor_sync(0xFFFFFFFFu, best_index, offset);
    if (beats(v, i, best, best_index)) {
      best = v;
      best_index = i;
    }
  }
  __shared__ float warp_best[kThreads / 32];
  __shared__ int32_t warp_index[kThreads / 32];
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  if (lane == 0) {
    warp_best[warp] = best;
    warp_index[warp] = best_index;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < kThreads / 32; ++w) {
      if (beats(warp_best[w], warp_index[w], best, best_index)) {
        best = warp_best[w];
        best_index = warp_index[w];
      }
    }
    *out = best_index == kNone ? 0 : best_index;
  }
}

}  // namespace

void argmax(CudaContext& ctx, const float* x, int64_t n, int32_t* out) {
  const std::string op = "argmax of " + std::to_string(n) + " values";
  if (n <= 0 || n > INT32_MAX) throw Error("CUDA " + op + ": needs 1 to 2^31-1 values");
  argmax_kernel<<<1, kThreads, 0, as_stream(ctx.stream())>>>(x, n, out);
  check_launch(op);
}

}  // namespace pgpp::kernels::cuda
