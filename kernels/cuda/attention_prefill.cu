// Causal attention of a prompt's query rows over the F16 KV cache (the many-token half of
// kv_attention). One block per (tile of 16 queries, head): its queries are staged in shared
// memory, then it walks the cache in tiles of 32 keys up to the tile's last position, each
// warp updating an online softmax for its 4 queries (attention_tile.cuh). FP32 arithmetic on
// FP16 keys and values: the score matrix is never formed, so memory is O(tile) per block.
#include <cuda_fp16.h>

#include <string>

#include "kernels/cuda/attention_tile.cuh"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/prefill_ops.h"

namespace pgpp::kernels::cuda {

namespace {

constexpr int kWarps = 4;
constexpr int kQueriesPerWarp = 4;
constexpr int kQueriesPerBlock = kWarps * kQueriesPerWarp;
constexpr int kKeysPerTile = 32;

struct PrefillArgs {
  const float* q;
  int64_t n_tokens;
  const int32_t* positions;
  int64_t max_positions;
  const uint16_t* k;
  const uint16_t* v;
  int64_t row_stride;
  int64_t n_heads;
  int64_t group;  // query heads per kv head
  float scale;
  float* out;
};

template <int kDimsPerLane>
__global__ void __launch_bounds__(kWarps * 32) prefill_attention_kernel(PrefillArgs a) {
  constexpr int kDim = 32 * kDimsPerLane;
  extern __shared__ __align__(16) float shared[];
  float* queries = shared;                           // kQueriesPerBlock x kDim
  float* keys = queries + kQueriesPerBlock * kDim;   // kKeysPerTile x (kDim + 1)
  float* values = keys + kKeysPerTile * (kDim + 1);  // kKeysPerTile x kDim
  __shared__ int query_pos[kQueriesPerBlock];
  __shared__ int last_pos;

  const int head = static_cast<int>(blockIdx.y);
  const int kv_head = head / static_cast<int>(a.group);
  const int64_t t0 = static_cast<int64_t>(blockIdx.x) * kQueriesPerBlock;
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) & 31;
  const int64_t q_stride = a.n_heads * kDim;

  if (threadIdx.x < kQueriesPerBlock) {
    const int64_t t = t0 + threadIdx.x;
    int p = -1;  // a row past the prompt sees nothing
    if (t < a.n_tokens) p = min(max(a.positions[t], 0), static_cast<int>(a.max_positions) - 1);
    query_pos[threadIdx.x] = p;
  }
  for (int e = static_cast<int>(threadIdx.x); e < kQueriesPerBlock * kDim; e += blockDim.x) {
    const int i = e / kDim, d = e % kDim;
    const int64_t t = t0 + i;
    queries[e] = t < a.n_tokens ? a.q[t * q_stride + head * kDim + d] * a.scale : 0.0f;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    int m = -1;
    for (int i = 0; i < kQueriesPerBlock; ++i) m = max(m, query_pos[i]);
    last_pos = m;
  }
  __syncthreads();

  detail::OnlineSoftmax<kQueriesPerWarp, kDimsPerLane> state;
  state.reset();
  const float* my_queries = queries + warp * kQueriesPerWarp * kDim;
  const int* my_pos = query_pos + warp * kQueriesPerWarp;
  const auto* k = reinterpret_cast<const __half*>(a.k);
  const auto* v = reinterpret_cast<const __half*>(a.v);
  for (int j0 = 0; j0 <= last_pos; j0 += kKeysPerTile) {
    __syncthreads();  // the previous tile is no longer read
    for (int e = static_cast<int>(threadIdx.x); e < kKeysPerTile * kDim; e += blockDim.x) {
      const int j = e / kDim, d = e % kDim;
      float kv = 0.0f, vv = 0.0f;
      if (j0 + j <= last_pos) {
        const int64_t at = static_cast<int64_t>(j0 + j) * a.row_stride + kv_head * kDim + d;
        kv = __half2float(k[at]);
        vv = __half2float(v[at]);
      }
      keys[j * (kDim + 1) + d] = kv;
      values[j * kDim + d] = vv;
    }
    __syncthreads();
    state.attend(my_queries, keys, values, [&](int i, int key) { return j0 + key <= my_pos[i]; });
  }

#pragma unroll
  for (int i = 0; i < kQueriesPerWarp; ++i) {
    const int64_t t = t0 + warp * kQueriesPerWarp + i;
    if (t >= a.n_tokens) continue;
#pragma unroll
    for (int c = 0; c < kDimsPerLane; ++c)
      a.out[t * q_stride + head * kDim + lane + 32 * c] = state.result(i, c);
  }
}

template <int kDimsPerLane>
void launch(CudaContext& ctx, const PrefillArgs& a, const std::string& what) {
  constexpr int kDim = 32 * kDimsPerLane;
  constexpr std::size_t bytes =
      sizeof(float) * (kQueriesPerBlock * kDim + kKeysPerTile * (kDim + 1) + kKeysPerTile * kDim);
  auto kernel = prefill_attention_kernel<kDimsPerLane>;
  // Above 48 KiB (head_dim > 128) a kernel must ask for the larger shared memory explicitly.
  if (bytes > 48 * 1024) {
    check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(bytes)),
               what + ": reserve shared memory");
  }
  const dim3 grid(blocks_for(a.n_tokens, kQueriesPerBlock), static_cast<unsigned>(a.n_heads));
  kernel<<<grid, kWarps * 32, bytes, as_stream(ctx.stream())>>>(a);
  check_launch(what);
}

}  // namespace

void kv_attention_prefill(CudaContext& ctx, const AttentionShape& shape, const float* q,
                          int64_t n_tokens, const int32_t* positions, int64_t max_positions,
                          const uint16_t* k, const uint16_t* v, int64_t row_stride, float scale,
                          float* out) {
  const std::string what = "prompt attention (" + std::to_string(n_tokens) + " tokens, " +
                           std::to_string(shape.n_heads) + " heads of " +
                           std::to_string(shape.head_dim) + ")";
  if (n_tokens <= 0) return;
  if (shape.n_heads <= 0 || shape.n_kv_heads <= 0 || shape.n_heads % shape.n_kv_heads != 0) {
    throw Error("CUDA " + what + ": " + std::to_string(shape.n_heads) +
                " query heads cannot share " + std::to_string(shape.n_kv_heads) +
                " key/value heads");
  }
  if (max_positions <= 0 || max_positions > INT32_MAX)
    throw Error("CUDA " + what + ": bad cache capacity");
  if (shape.n_heads > 65535) throw Error("CUDA " + what + ": more than 65535 heads");
  const PrefillArgs a{q,
                      n_tokens,
                      positions,
                      max_positions,
                      k,
                      v,
                      row_stride,
                      shape.n_heads,
                      shape.n_heads / shape.n_kv_heads,
                      scale,
                      out};
  switch (shape.head_dim) {
    case 32:
      return launch<1>(ctx, a, what);
    case 64:
      return launch<2>(ctx, a, what);
    case 96:
      return launch<3>(ctx, a, what);
    case 128:
      return launch<4>(ctx, a, what);
    case 160:
      return launch<5>(ctx, a, what);
    case 192:
      return launch<6>(ctx, a, what);
    case 224:
      return launch<7>(ctx, a, what);
    case 256:
      return launch<8>(ctx, a, what);
    default:
      throw Error("CUDA " + what + ": head_dim " + std::to_string(shape.head_dim) +
                  " is not supported (a multiple of 32 up to 256)");
  }
}

}  // namespace pgpp::kernels::cuda
