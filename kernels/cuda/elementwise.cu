// The decode step's small operations: RMSNorm, residual adds, bias, RoPE, SwiGLU and the KV
// cache write. Each is one pass over a few thousand floats per token, bound by launch latency
// at decode and by bandwidth in prefill; the CPU kernels of the same names are the reference.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <string>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/decoder_ops.h"

namespace pgpp::kernels::cuda {

namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 1u << 16;  // grid-stride loops past this

unsigned grid_for(int64_t n) {
  return std::min(blocks_for(n, kThreads), kMaxBlocks);
}

// ---- RMSNorm: one block per row, float partial sums reduced warp by warp.
__global__ void rms_norm_kernel(const float* x, const float* gamma, int64_t dim, float eps,
                                float* out) {
  const float* xr = x + blockIdx.x * dim;
  float* yr = out + blockIdx.x * dim;
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) ss = fmaf(xr[i], xr[i], ss);
  for (int offset = 16; offset > 0; offset /= 2) ss += __shfl_xor_sync(0xFFFFFFFFu, ss, offset);
  __shared__ float warp_sums[kThreads / 32];
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = ss;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < kThreads / 32; ++w) total += warp_sums[w];
  const float scale = 1.0f / sqrtf(total / static_cast<float>(dim) + eps);
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) yr[i] = xr[i] * scale * gamma[i];
}

__global__ void add_in_place_kernel(float* x, const float* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    x[i] += y[i];
  }
}

__global__ void add_bias_kernel(float* y, const float* bias, int64_t n, int64_t dim) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    y[i] += bias[i % dim];
  }
}

// ---- RoPE: one thread per (token, head, pair). The angle pos * theta is formed in double and
// reduced to [-pi, pi] there, so only the final rotation is float (as the CPU, which rounds
// cos and sin of the double angle to float).
__global__ void rope_kernel(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim,
                            int64_t half, bool neox, const double* theta,
                            const int32_t* positions) {
  const int64_t total = n_tokens * n_heads * half;
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t pair = i % half;
    const int64_t head_row = i / half;  // token * n_heads + head
    const int64_t t = head_row / n_heads;
    const double angle = static_cast<double>(positions[t]) * theta[pair];
    const double reduced = angle - kTwoPi * rint(angle / kTwoPi);
    float s, c;
    sincosf(static_cast<float>(reduced), &s, &c);
    float* v = x + head_row * head_dim;
    const int64_t a = neox ? pair : 2 * pair;
    const int64_t b = neox ? pair + half : 2 * pair + 1;
    const float x0 = v[a];
    const float x1 = v[b];
    v[a] = x0 * c - x1 * s;
    v[b] = x0 * s + x1 * c;
  }
}

__global__ void swiglu_kernel(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const float g = gate[i];
    out[i] = g / (1.0f + expf(-g)) * up[i];
  }
}

// ---- KV cache write: fp32 to IEEE half, round to nearest even; row positions[t] of each cache.
__global__ void store_kv_kernel(const float* k, const float* v, int64_t n_tokens, int64_t kv_dim,
                                const int32_t* positions, __half* k_cache, __half* v_cache) {
  const int64_t total = n_tokens * kv_dim;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t t = i / kv_dim;
    const int64_t dst = static_cast<int64_t>(positions[t]) * kv_dim + i % kv_dim;
    k_cache[dst] = __float2half_rn(k[i]);
    v_cache[dst] = __float2half_rn(v[i]);
  }
}

}  // namespace

void rms_norm(CudaContext& ctx, const float* x, const float* gamma, int64_t n_rows, int64_t dim,
              float eps, float* out) {
  const std::string op =
      "rms_norm of " + std::to_string(n_rows) + " rows of " + std::to_string(dim);
  if (n_rows < 0 || dim <= 0) throw Error("CUDA " + op + ": bad shape");
  if (n_rows == 0) return;
  if (n_rows > 0x7FFFFFFF) throw Error("CUDA " + op + ": too many rows for one launch");
  rms_norm_kernel<<<static_cast<unsigned>(n_rows), kThreads, 0, as_stream(ctx.stream())>>>(
      x, gamma, dim, eps, out);
  check_launch(op);
}

void add_in_place(CudaContext& ctx, float* x, const float* y, int64_t n) {
  if (n <= 0) return;
  add_in_place_kernel<<<grid_for(n), kThreads, 0, as_stream(ctx.stream())>>>(x, y, n);
  check_launch("add_in_place of " + std::to_string(n) + " floats");
}

void add_bias(CudaContext& ctx, float* y, const float* bias, int64_t n_rows, int64_t dim) {
  if (n_rows <= 0 || dim <= 0) return;
  add_bias_kernel<<<grid_for(n_rows * dim), kThreads, 0, as_stream(ctx.stream())>>>(
      y, bias, n_rows * dim, dim);
  check_launch("add_bias to " + std::to_string(n_rows) + " rows of " + std::to_string(dim));
}

void rope(CudaContext& ctx, float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim,
          int64_t n_rot, bool neox, const double* theta, const int32_t* positions) {
  const std::string op = "rope on " + std::to_string(n_tokens) + " tokens x " +
                         std::to_string(n_heads) + " heads of " + std::to_string(head_dim);
  // The same rule as cpu::Rope's constructor.
  if (n_rot <= 0 || n_rot > head_dim || n_rot % 2 != 0) {
    throw Error("CUDA " + op + ": rotary dimension " + std::to_string(n_rot) +
                " does not fit the head");
  }
  const int64_t total = n_tokens * n_heads * (n_rot / 2);
  if (total <= 0) return;
  rope_kernel<<<grid_for(total), kThreads, 0, as_stream(ctx.stream())>>>(
      x, n_tokens, n_heads, head_dim, n_rot / 2, neox, theta, positions);
  check_launch(op);
}

void swiglu(CudaContext& ctx, const float* gate, const float* up, int64_t n, float* out) {
  if (n <= 0) return;
  swiglu_kernel<<<grid_for(n), kThreads, 0, as_stream(ctx.stream())>>>(gate, up, n, out);
  check_launch("swiglu of " + std::to_string(n) + " floats");
}

void store_kv(CudaContext& ctx, const float* k, const float* v, int64_t n_tokens, int64_t kv_dim,
              const int32_t* positions, uint16_t* k_cache, uint16_t* v_cache) {
  if (n_tokens <= 0 || kv_dim <= 0) return;
  store_kv_kernel<<<grid_for(n_tokens * kv_dim), kThreads, 0, as_stream(ctx.stream())>>>(
      k, v, n_tokens, kv_dim, positions, reinterpret_cast<__half*>(k_cache),
      reinterpret_cast<__half*>(v_cache));
  check_launch("store_kv of " + std::to_string(n_tokens) + " tokens x " + std::to_string(kv_dim));
}

}  // namespace pgpp::kernels::cuda
