// The decode step's matrix products (few tokens): a fused dequantize-and-multiply kernel, and
// the token-embedding look-up (get_rows), both decoding weights with
// kernels/quant/block_decode.h.
//
// Decode is bound by reading the weights once per step (kernels/cuda/NOTES.md, "Decode
// kernels"), so the kernel is shaped around that read:
//   - a warp owns kRowsPerWarp rows; its lanes take consecutive 8-weight chunks, so a warp
//     reads 32 consecutive chunks of each row (one contiguous run of blocks) per step;
//   - every token's activations are multiplied by a chunk while it is in registers, so the
//     weights are read once for all n_tokens (<= 8);
//   - activations come through the read-only cache: every warp of an SM reads the same x, which
//     stays in L1/L2; two rows per warp halve those reads per weight;
//   - the partial sums of the 32 lanes meet in a shuffle reduction, no shared memory.
#include <cuda_runtime.h>

#include <string>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/few_token_ops.h"
#include "kernels/cuda/weight_types.h"

namespace pgpp::kernels::cuda {

namespace {

namespace block = quant::block;

constexpr int kWarpsPerBlock = 4;
constexpr int kRowsPerWarp = 2;
constexpr int kRowsPerBlock = kWarpsPerBlock * kRowsPerWarp;

// The 8 activations of token row `xt` at chunk c: two 16-byte loads when rows are 16-byte
// aligned (cols % 4 == 0: always true for block types), else scalar loads.
__device__ __forceinline__ void load_x_chunk(const float* xt, int64_t c, bool aligned, float* out) {
  const float* p = xt + c * block::kChunk;
  if (aligned) {
    const float4 a = __ldg(reinterpret_cast<const float4*>(p));
    const float4 b = __ldg(reinterpret_cast<const float4*>(p) + 1);
    out[0] = a.x, out[1] = a.y, out[2] = a.z, out[3] = a.w;
    out[4] = b.x, out[5] = b.y, out[6] = b.z, out[7] = b.w;
  } else {
    for (int i = 0; i < block::kChunk; ++i) out[i] = __ldg(p + i);
  }
}

template <DType T, int NT>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    matvec_kernel(const uint8_t* w, std::size_t row_bytes, int64_t rows, int64_t cols,
                  const float* x, float* y) {
  const int lane = static_cast<int>(threadIdx.x % 32);
  const int64_t row0 =
      (int64_t{blockIdx.x} * kWarpsPerBlock + static_cast<int64_t>(threadIdx.x / 32)) *
      kRowsPerWarp;
  if (row0 >= rows) return;  // whole warps only: no shuffle below loses a partner
  const bool aligned = cols % 4 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  // A second row past the end reuses the first row's bytes and is never stored.
  const uint8_t* wr[kRowsPerWarp];
  for (int r = 0; r < kRowsPerWarp; ++r)
    wr[r] = w + (row0 + r < rows ? row0 + r : row0) * row_bytes;

  float acc[kRowsPerWarp][NT] = {};
  const int64_t whole = cols / block::kChunk;
  for (int64_t c = lane; c < whole; c += 32) {
    float wv[kRowsPerWarp][block::kChunk];
    for (int r = 0; r < kRowsPerWarp; ++r) block::decode_chunk<T>(wr[r], c, wv[r]);
    for (int t = 0; t < NT; ++t) {
      float xv[block::kChunk];
      load_x_chunk(x + t * cols, c, aligned, xv);
      for (int r = 0; r < kRowsPerWarp; ++r) {
        for (int i = 0; i < block::kChunk; ++i) acc[r][t] = fmaf(wv[r][i], xv[i], acc[r][t]);
      }
    }
  }
  if constexpr (block::is_plain(T)) {  // the cols % 8 weights after the last whole chunk
    for (int64_t k = whole * block::kChunk + lane; k < cols; k += 32) {
      for (int r = 0; r < kRowsPerWarp; ++r) {
        const float wk = block::decode_element<T>(wr[r], k);
        for (int t = 0; t < NT; ++t) acc[r][t] = fmaf(wk, __ldg(x + t * cols + k), acc[r][t]);
      }
    }
  }
  for (int r = 0; r < kRowsPerWarp; ++r) {
    for (int t = 0; t < NT; ++t) {
      float s = acc[r][t];
      for (int offset = 16; offset > 0; offset /= 2) s += __shfl_xor_sync(0xFFFFFFFFu, s, offset);
      acc[r][t] = s;
    }
  }
  if (lane == 0) {
    for (int r = 0; r < kRowsPerWarp; ++r) {
      if (row0 + r >= rows) break;
      for (int t = 0; t < NT; ++t) y[t * rows + row0 + r] = acc[r][t];
    }
  }
}

template <DType T, int NT>
void launch_matvec(cudaStream_t stream, const DeviceMatrix& w, const float* x, float* y) {
  const unsigned blocks = blocks_for(w.rows, kRowsPerBlock);
  matvec_kernel<T, NT><<<blocks, kWarpsPerBlock * 32, 0, stream>>>(
      static_cast<const uint8_t*>(w.data), w.row_bytes, w.rows, w.cols, x, y);
}

// n_tokens as a template argument, so the accumulators stay in registers.
template <DType T>
void launch_matvec_for_tokens(cudaStream_t stream, const DeviceMatrix& w, const float* x,
                              int64_t n_tokens, float* y) {
  switch (n_tokens) {
    case 1:
      launch_matvec<T, 1>(stream, w, x, y);
      return;
    case 2:
      launch_matvec<T, 2>(stream, w, x, y);
      return;
    case 3:
      launch_matvec<T, 3>(stream, w, x, y);
      return;
    case 4:
      launch_matvec<T, 4>(stream, w, x, y);
      return;
    case 5:
      launch_matvec<T, 5>(stream, w, x, y);
      return;
    case 6:
      launch_matvec<T, 6>(stream, w, x, y);
      return;
    case 7:
      launch_matvec<T, 7>(stream, w, x, y);
      return;
    default:
      launch_matvec<T, 8>(stream, w, x, y);
      return;
  }
}

// Row ids[t] of W decoded into out[t]; one thread per 8-weight chunk. An id outside [0, rows)
// cannot raise an error from the device: its row comes out as NaN, so the mistake shows in the
// logits instead of another row's values passing for it.
template <DType T>
__global__ void get_rows_kernel(const uint8_t* w, std::size_t row_bytes, int64_t rows, int64_t cols,
                                const int32_t* ids, int64_t n, float* out) {
  const int64_t chunks_per_row = (cols + block::kChunk - 1) / block::kChunk;
  const int64_t whole = cols / block::kChunk;
  const int64_t total = n * chunks_per_row;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t t = i / chunks_per_row;
    const int64_t c = i % chunks_per_row;
    const int64_t id = ids[t];
    float* dst = out + t * cols + c * block::kChunk;
    const int64_t count = c < whole ? block::kChunk : cols - c * block::kChunk;
    if (id < 0 || id >= rows) {
      for (int k = 0; k < count; ++k) dst[k] = __int_as_float(0x7FC00000);
      continue;
    }
    const uint8_t* row = w + id * row_bytes;
    if (c < whole) {
      float v[block::kChunk];
      block::decode_chunk<T>(row, c, v);
      for (int k = 0; k < block::kChunk; ++k) dst[k] = v[k];
    } else if constexpr (block::is_plain(T)) {
      for (int k = 0; k < count; ++k) dst[k] = block::decode_element<T>(row, c * block::kChunk + k);
    }
  }
}

std::string matrix_name(const DeviceMatrix& w) {
  return type_name(w.type) + " " + std::to_string(w.rows) + "x" + std::to_string(w.cols);
}

}  // namespace

bool matmul_supports(DType type) {
  return quant::block::can_decode(type);
}

void matmul_matvec(CudaContext& ctx, const DeviceMatrix& w, const float* x, int64_t n_tokens,
                   float* y) {
  const std::string op = "matmul " + matrix_name(w) + " x " + std::to_string(n_tokens) + " tokens";
  check_matrix(w.type, w.cols, w.rows, w.row_bytes, op);
  if (n_tokens < 1 || n_tokens > kMatvecMaxTokens) {
    throw Error("CUDA " + op + ": the matrix-vector kernel takes 1 to " +
                std::to_string(kMatvecMaxTokens) + " tokens");
  }
  if (w.rows == 0) return;
  with_weight_type(w.type, op, [&](auto tag) {
    launch_matvec_for_tokens<decltype(tag)::value>(as_stream(ctx.stream()), w, x, n_tokens, y);
  });
  check_launch(op);
}

void get_rows(CudaContext& ctx, const DeviceMatrix& w, const int32_t* ids, int64_t n, float* out) {
  const std::string op = "get_rows of " + matrix_name(w) + " for " + std::to_string(n) + " tokens";
  check_matrix(w.type, w.cols, w.rows, w.row_bytes, op);
  if (n < 0) throw Error("CUDA " + op + ": negative count");
  if (n == 0) return;
  constexpr int kThreads = 256;
  const int64_t total = n * ((w.cols + block::kChunk - 1) / block::kChunk);
  const unsigned blocks =
      blocks_for(total, kThreads) < (1u << 16) ? blocks_for(total, kThreads) : (1u << 16);
  with_weight_type(w.type, op, [&](auto tag) {
    get_rows_kernel<decltype(tag)::value><<<blocks, kThreads, 0, as_stream(ctx.stream())>>>(
        static_cast<const uint8_t*>(w.data), w.row_bytes, w.rows, w.cols, ids, n, out);
  });
  check_launch(op);
}

}  // namespace pgpp::kernels::cuda
