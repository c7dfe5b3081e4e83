// Kernels of the GPU encoder (encoder_ops.h). The linear layers are cuBLAS GEMMs on the tensor
// cores (FP16 operands, FP32 accumulation); bias and GELU follow in one element-wise pass. Row
// kernels (LayerNorm) give one warp a row: BERT rows are 384-1024 floats, a warp's 32 lanes
// read them coalesced and reduce with shuffles, no shared memory or block barrier needed.
#include <cuda_fp16.h>

#include <string>

#include "kernels/cuda/attention_tile.cuh"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/encoder_ops.h"

namespace pgpp::kernels::cuda {

namespace {

__device__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ float gelu_erf(float x) {
  return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}

template <class Out>
__device__ Out store_as(float v);
template <>
__device__ float store_as<float>(float v) {
  return v;
}
template <>
__device__ __half store_as<__half>(float v) {
  return __float2half_rn(v);
}

template <class Out>
__global__ void bias_activation_kernel(Out* y, const float* __restrict__ bias, long long rows,
                                       long long n_elems, Activation act) {
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n_elems) return;
  float v = static_cast<float>(y[i]) + bias[i % rows];
  if (act == Activation::Gelu) v = gelu_erf(v);
  y[i] = store_as<Out>(v);
}

void check_gemm_sizes(int64_t rows, int64_t cols, int64_t n, const std::string& what) {
  if (rows <= 0 || cols <= 0 || rows > INT32_MAX || cols > INT32_MAX || n > INT32_MAX) {
    throw Error("CUDA " + what + ": sizes beyond what cuBLAS takes");
  }
}

// Row-major y (n x rows) = x (n x cols) W^T, seen by column-major cuBLAS as Y = W^T-of-its-view X.
void gemm_f16(CudaContext& ctx, const uint16_t* w, int64_t rows, int64_t cols, const uint16_t* x,
              int64_t n, void* y, cudaDataType_t y_type, const std::string& what) {
  check_gemm_sizes(rows, cols, n, what);
  const float alpha = 1.0f, beta = 0.0f;
  check_cublas(
      cublasGemmEx(as_cublas(ctx.cublas()), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(rows),
                   static_cast<int>(n), static_cast<int>(cols), &alpha, w, CUDA_R_16F,
                   static_cast<int>(cols), x, CUDA_R_16F, static_cast<int>(cols), &beta, y, y_type,
                   static_cast<int>(rows), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
      what);
}

std::string linear_name(int64_t rows, int64_t cols, int64_t n) {
  return "encoder linear layer " + std::to_string(rows) + "x" + std::to_string(cols) + " over " +
         std::to_string(n) + " tokens";
}

// ---- LayerNorm -------------------------------------------------------------------------------

constexpr int kRowsPerBlock = 8;  // one warp each

// Normalises row s (already summed into x) and writes x and x_half. Two passes over the row for
// the variance (sum of squared deviations): one-pass E[x^2] - E[x]^2 loses digits on BERT's
// large-offset rows.
__device__ void normalise_row(float* x, __half* x_half, int64_t dim, const float* gamma,
                              const float* beta, float eps, int lane) {
  float sum = 0.0f;
  for (int64_t c = lane; c < dim; c += 32) sum += x[c];
  const float mean = warp_sum(sum) / static_cast<float>(dim);
  float sq = 0.0f;
  for (int64_t c = lane; c < dim; c += 32) {
    const float d = x[c] - mean;
    sq += d * d;
  }
  const float inv = rsqrtf(warp_sum(sq) / static_cast<float>(dim) + eps);
  for (int64_t c = lane; c < dim; c += 32) {
    const float v = (x[c] - mean) * inv * gamma[c] + beta[c];
    x[c] = v;
    x_half[c] = __float2half_rn(v);
  }
}

__global__ void add_layer_norm_kernel(const float* __restrict__ y, float* x, __half* x_half,
                                      long long rows, long long dim,
                                      const float* __restrict__ gamma,
                                      const float* __restrict__ beta, float eps) {
  const long long r = static_cast<long long>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
  if (r >= rows) return;
  const int lane = static_cast<int>(threadIdx.x) & 31;
  float* xr = x + r * dim;
  const float* yr = y + r * dim;
  for (long long c = lane; c < dim; c += 32) xr[c] += yr[c];
  __syncwarp();
  normalise_row(xr, x_half + r * dim, dim, gamma, beta, eps, lane);
}

__global__ void embed_layer_norm_kernel(
    const int32_t* __restrict__ ids, const int32_t* __restrict__ positions, long long n,
    const __half* __restrict__ word, const float* __restrict__ position,
    const float* __restrict__ type0, long long dim, const float* __restrict__ gamma,
    const float* __restrict__ beta, float eps, float* x, __half* x_half) {
  const long long t = static_cast<long long>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
  if (t >= n) return;
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const __half* w = word + static_cast<long long>(ids[t]) * dim;
  const float* p = position + static_cast<long long>(positions[t]) * dim;
  float* xr = x + t * dim;
  for (long long c = lane; c < dim; c += 32) xr[c] = __half2float(w[c]) + p[c] + type0[c];
  __syncwarp();
  normalise_row(xr, x_half + t * dim, dim, gamma, beta, eps, lane);
}

// ---- attention -------------------------------------------------------------------------------

constexpr int kWarps = 4;
constexpr int kQueriesPerWarp = 4;
constexpr int kQueriesPerBlock = kWarps * kQueriesPerWarp;
constexpr int kKeysPerTile = 32;

struct PackedArgs {
  const __half* q;
  const __half* k;
  const __half* v;
  int64_t ld;
  const int32_t* seq_begin;
  float scale;
  __half* out;
  int64_t ld_out;
};

// One block per (sequence, head, tile of 16 queries); tiles past a sequence's end return at
// once (batches are sorted by length, so few are launched for nothing).
template <int kDimsPerLane>
__global__ void __launch_bounds__(kWarps * 32) packed_attention_kernel(PackedArgs a) {
  constexpr int kDim = 32 * kDimsPerLane;
  __shared__ __align__(16) float queries[kQueriesPerBlock * kDim];
  __shared__ float keys[kKeysPerTile * (kDim + 1)];
  __shared__ float values[kKeysPerTile * kDim];

  const int seq = static_cast<int>(blockIdx.x), head = static_cast<int>(blockIdx.y);
  const int begin = a.seq_begin[seq];
  const int len = a.seq_begin[seq + 1] - begin;
  const int q0 = static_cast<int>(blockIdx.z) * kQueriesPerBlock;
  if (q0 >= len) return;
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) & 31;
  const int64_t column = static_cast<int64_t>(head) * kDim;

  for (int e = static_cast<int>(threadIdx.x); e < kQueriesPerBlock * kDim; e += blockDim.x) {
    const int i = e / kDim, d = e % kDim;
    queries[e] =
        q0 + i < len ? __half2float(a.q[(begin + q0 + i) * a.ld + column + d]) * a.scale : 0.0f;
  }

  detail::OnlineSoftmax<kQueriesPerWarp, kDimsPerLane> state;
  state.reset();
  const float* my_queries = queries + warp * kQueriesPerWarp * kDim;
  for (int j0 = 0; j0 < len; j0 += kKeysPerTile) {
    __syncthreads();  // queries written / the previous tile no longer read
    for (int e = static_cast<int>(threadIdx.x); e < kKeysPerTile * kDim; e += blockDim.x) {
      const int j = e / kDim, d = e % kDim;
      float kv = 0.0f, vv = 0.0f;
      if (j0 + j < len) {
        const int64_t row = static_cast<int64_t>(begin + j0 + j) * a.ld + column + d;
        kv = __half2float(a.k[row]);
        vv = __half2float(a.v[row]);
      }
      keys[j * (kDim + 1) + d] = kv;
      values[j * kDim + d] = vv;
    }
    __syncthreads();
    state.attend(my_queries, keys, values, [&](int, int key) { return j0 + key < len; });
  }

#pragma unroll
  for (int i = 0; i < kQueriesPerWarp; ++i) {
    const int qi = q0 + warp * kQueriesPerWarp + i;
    if (qi >= len) continue;
    __half* o = a.out + static_cast<int64_t>(begin + qi) * a.ld_out + column;
#pragma unroll
    for (int c = 0; c < kDimsPerLane; ++c) o[lane + 32 * c] = __float2half_rn(state.result(i, c));
  }
}

template <int kDimsPerLane>
void launch_packed(CudaContext& ctx, const PackedArgs& a, int64_t n_seqs, int64_t n_heads,
                   int64_t max_len, const std::string& what) {
  const dim3 grid(static_cast<unsigned>(n_seqs), static_cast<unsigned>(n_heads),
                  blocks_for(max_len, kQueriesPerBlock));
  packed_attention_kernel<kDimsPerLane><<<grid, kWarps * 32, 0, as_stream(ctx.stream())>>>(a);
  check_launch(what);
}

// ---- pooling ---------------------------------------------------------------------------------

constexpr int kPoolThreads = 128;

__global__ void pool_kernel(const float* __restrict__ x, const int32_t* __restrict__ seq_begin,
                            long long dim, bool mean, bool normalize, float* out) {
  const int s = static_cast<int>(blockIdx.x);
  const int begin = seq_begin[s], end = seq_begin[s + 1];
  float* o = out + static_cast<long long>(s) * dim;
  float sq = 0.0f;
  for (long long c = threadIdx.x; c < dim; c += blockDim.x) {
    float v;
    if (mean) {  // every token, [CLS] and [SEP] included, as sentence-transformers does
      float acc = 0.0f;
      for (int t = begin; t < end; ++t) acc += x[static_cast<long long>(t) * dim + c];
      v = acc / static_cast<float>(end - begin);
    } else {
      v = x[static_cast<long long>(begin) * dim + c];
    }
    o[c] = v;
    sq += v * v;
  }
  if (!normalize) return;
  __shared__ float partial[kPoolThreads / 32];
  sq = warp_sum(sq);
  if ((threadIdx.x & 31) == 0) partial[threadIdx.x / 32] = sq;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < kPoolThreads / 32; ++w) total += partial[w];
  const float inv = 1.0f / fmaxf(sqrtf(total), 1e-12f);
  for (long long c = threadIdx.x; c < dim; c += blockDim.x) o[c] *= inv;
}

}  // namespace

void linear_f16(CudaContext& ctx, const uint16_t* w, const float* bias, int64_t rows, int64_t cols,
                const uint16_t* x, int64_t n, Activation act, uint16_t* y) {
  if (n <= 0) return;
  const std::string what = linear_name(rows, cols, n);
  gemm_f16(ctx, w, rows, cols, x, n, y, CUDA_R_16F, what);
  const long long elems = static_cast<long long>(rows) * n;
  bias_activation_kernel<__half><<<blocks_for(elems, 256), 256, 0, as_stream(ctx.stream())>>>(
      reinterpret_cast<__half*>(y), bias, rows, elems, act);
  check_launch(what + ": bias" + (act == Activation::Gelu ? " and GELU" : ""));
}

void linear_f32(CudaContext& ctx, const uint16_t* w, const float* bias, int64_t rows, int64_t cols,
                const uint16_t* x, int64_t n, float* y) {
  if (n <= 0) return;
  const std::string what = linear_name(rows, cols, n);
  gemm_f16(ctx, w, rows, cols, x, n, y, CUDA_R_32F, what);
  const long long elems = static_cast<long long>(rows) * n;
  bias_activation_kernel<float><<<blocks_for(elems, 256), 256, 0, as_stream(ctx.stream())>>>(
      y, bias, rows, elems, Activation::None);
  check_launch(what + ": bias");
}

void add_layer_norm(CudaContext& ctx, const float* y, float* x, uint16_t* x_half, int64_t rows,
                    int64_t dim, const float* gamma, const float* beta, float eps) {
  if (rows <= 0) return;
  add_layer_norm_kernel<<<blocks_for(rows, kRowsPerBlock), kRowsPerBlock * 32, 0,
                          as_stream(ctx.stream())>>>(y, x, reinterpret_cast<__half*>(x_half), rows,
                                                     dim, gamma, beta, eps);
  check_launch("encoder residual + LayerNorm over " + std::to_string(rows) + " tokens");
}

void embed_layer_norm(CudaContext& ctx, const int32_t* ids, const int32_t* positions, int64_t n,
                      const uint16_t* word, const float* position, const float* token_type0,
                      int64_t dim, const float* gamma, const float* beta, float eps, float* x,
                      uint16_t* x_half) {
  if (n <= 0) return;
  embed_layer_norm_kernel<<<blocks_for(n, kRowsPerBlock), kRowsPerBlock * 32, 0,
                            as_stream(ctx.stream())>>>(
      ids, positions, n, reinterpret_cast<const __half*>(word), position, token_type0, dim, gamma,
      beta, eps, x, reinterpret_cast<__half*>(x_half));
  check_launch("encoder embeddings + LayerNorm over " + std::to_string(n) + " tokens");
}

void packed_attention(CudaContext& ctx, const uint16_t* q, const uint16_t* k, const uint16_t* v,
                      int64_t ld, const int32_t* seq_begin, int64_t n_seqs, int64_t max_len,
                      int64_t n_heads, int64_t head_dim, float scale, uint16_t* out,
                      int64_t ld_out) {
  if (n_seqs <= 0 || max_len <= 0) return;
  const std::string what = "encoder attention (" + std::to_string(n_seqs) + " sequences of up to " +
                           std::to_string(max_len) + " tokens, " + std::to_string(n_heads) +
                           " heads of " + std::to_string(head_dim) + ")";
  if (n_seqs > INT32_MAX || n_heads > 65535 || max_len > 65535LL * kQueriesPerBlock) {
    throw Error("CUDA " + what + ": too many sequences, heads or tokens for one launch");
  }
  const PackedArgs a{reinterpret_cast<const __half*>(q),
                     reinterpret_cast<const __half*>(k),
                     reinterpret_cast<const __half*>(v),
                     ld,
                     seq_begin,
                     scale,
                     reinterpret_cast<__half*>(out),
                     ld_out};
  switch (head_dim) {
    case 32:
      return launch_packed<1>(ctx, a, n_seqs, n_heads, max_len, what);
    case 64:
      return launch_packed<2>(ctx, a, n_seqs, n_heads, max_len, what);
    case 96:
      return launch_packed<3>(ctx, a, n_seqs, n_heads, max_len, what);
    case 128:
      return launch_packed<4>(ctx, a, n_seqs, n_heads, max_len, what);
    default:
      throw Error("CUDA " + what + ": head_dim " + std::to_string(head_dim) +
                  " is not supported (32, 64, 96 or 128)");
  }
}

void pool_sequences(CudaContext& ctx, const float* x, const int32_t* seq_begin, int64_t n_seqs,
                    int64_t dim, Pooling pooling, bool normalize, float* out) {
  if (n_seqs <= 0) return;
  pool_kernel<<<static_cast<unsigned>(n_seqs), kPoolThreads, 0, as_stream(ctx.stream())>>>(
      x, seq_begin, dim, pooling == Pooling::Mean, normalize, out);
  check_launch("encoder pooling of " + std::to_string(n_seqs) + " sequences");
}

}  // namespace pgpp::kernels::cuda
