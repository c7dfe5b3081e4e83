// The sampler's repetition, presence and frequency penalties on the GPU, so that greedy decoding
// with penalties (what `pgpp ask` and the desktop use) needs only the chosen token back, not the
// logits. Each recent token is distinct, so one thread per token writes one logit: no races.
#include <cuda_runtime.h>

#include <string>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/decoder_ops.h"

namespace pgpp::kernels::cuda {

namespace {

__global__ void penalties_kernel(float* logits, long long n_vocab, const int32_t* ids,
                                 const int32_t* counts, long long n, float repeat, float presence,
                                 float frequency) {
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const int32_t id = ids[i];
  if (id < 0 || id >= n_vocab) return;
  float l = logits[id];
  // The _rn intrinsics keep nvcc from fusing a multiply and an add, which would round
  // differently from the host's separate operations.
  if (repeat != 1.0f) l = l > 0 ? __fdiv_rn(l, repeat) : __fmul_rn(l, repeat);
  l = __fsub_rn(l, __fadd_rn(presence, __fmul_rn(frequency, static_cast<float>(counts[i]))));
  logits[id] = l;
}

}  // namespace

void apply_penalties(CudaContext& ctx, float* logits, int64_t n_vocab, const int32_t* ids,
                     const int32_t* counts, int64_t n, float repeat, float presence,
                     float frequency) {
  if (n <= 0) return;
  constexpr int kThreads = 128;
  penalties_kernel<<<blocks_for(n, kThreads), kThreads, 0, as_stream(ctx.stream())>>>(
      logits, n_vocab, ids, counts, n, repeat, presence, frequency);
  check_launch("sampling penalties over " + std::to_string(n) + " recent tokens");
}

}  // namespace pgpp::kernels::cuda
