// Many-token matmul (prompt processing): W is expanded to FP16 a tile of rows at a time and
// multiplied by cuBLAS on the tensor cores with FP32 accumulation. The expansion costs one read
// of W and one write + read of the tile; at hundreds of tokens the GEMM's arithmetic dominates.
#include <cuda_fp16.h>

#include <algorithm>
#include <string>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/prefill_ops.h"
#include "kernels/cuda/weight_types.h"

namespace pgpp::kernels::cuda {

namespace {

// Scratch slots of this file (cuda_context.h): the FP16 weight tile and the FP16 activations.
constexpr int kScratchWeightTile = 2;
constexpr int kScratchActivations = 3;

// At most 64 MiB of FP16 weights per tile: an 8B model's 128256 x 4096 output matrix (1 GiB as
// FP16) goes in 16 tiles, and scratch stays small next to the model.
constexpr std::size_t kMaxTileHalves = std::size_t{32} << 20;

__global__ void floats_to_halves(const float* __restrict__ x, __half* __restrict__ out,
                                 long long n) {
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = __float2half_rn(x[i]);
}

std::string describe(const DeviceMatrix& w, int64_t n_tokens) {
  return "matmul " + type_name(w.type) + " " + std::to_string(w.rows) + "x" +
         std::to_string(w.cols) + " over " + std::to_string(n_tokens) + " tokens";
}

}  // namespace

void matmul_gemm(CudaContext& ctx, const DeviceMatrix& w, const float* x, int64_t n_tokens,
                 float* y) {
  if (n_tokens <= 0 || w.rows <= 0) return;
  const std::string what = describe(w, n_tokens);
  if (w.cols <= 0 || w.cols > INT32_MAX || n_tokens > INT32_MAX || w.rows > INT32_MAX) {
    throw Error("CUDA " + what + ": sizes beyond what cuBLAS takes");
  }
  const cudaStream_t stream = as_stream(ctx.stream());

  const long long n_x = static_cast<long long>(n_tokens) * w.cols;
  auto* x16 = static_cast<__half*>(
      ctx.scratch(kScratchActivations, static_cast<std::size_t>(n_x) * sizeof(__half)));
  floats_to_halves<<<blocks_for(n_x, 256), 256, 0, stream>>>(x, x16, n_x);
  check_launch(what + ": convert the activations to FP16");

  // F16 rows stored densely are already what cuBLAS wants: no tile copy.
  const bool direct = w.type == DType::F16 && w.row_bytes == static_cast<std::size_t>(w.cols) * 2;
  const int64_t tile_rows =
      direct ? w.rows
             : std::clamp<int64_t>(static_cast<int64_t>(kMaxTileHalves / w.cols), 1, w.rows);
  __half* tile = nullptr;
  if (!direct) {
    tile = static_cast<__half*>(ctx.scratch(
        kScratchWeightTile, static_cast<std::size_t>(tile_rows * w.cols) * sizeof(__half)));
  }

  const float alpha = 1.0f, beta = 0.0f;
  for (int64_t row0 = 0; row0 < w.rows; row0 += tile_rows) {
    const int64_t rows = std::min(tile_rows, w.rows - row0);
    const __half* a = nullptr;
    if (direct) {
      a = static_cast<const __half*>(w.data);
    } else {
      dequantize_to_f16(ctx, w, row0, rows, reinterpret_cast<uint16_t*>(tile));
      a = tile;
    }
    // cuBLAS is column-major. Row-major y (n_tokens x rows, leading dimension w.rows) is the
    // column-major (rows x n_tokens) matrix Y = op(A) B with A = the tile seen column-major
    // (cols x rows, so transposed) and B = x seen column-major (cols x n_tokens). Each tile
    // writes its own columns of y, starting at y + row0.
    check_cublas(
        cublasGemmEx(as_cublas(ctx.cublas()), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(rows),
                     static_cast<int>(n_tokens), static_cast<int>(w.cols), &alpha, a, CUDA_R_16F,
                     static_cast<int>(w.cols), x16, CUDA_R_16F, static_cast<int>(w.cols), &beta,
                     y + row0, CUDA_R_32F, static_cast<int>(w.rows), CUBLAS_COMPUTE_32F,
                     CUBLAS_GEMM_DEFAULT),
        what);
  }
}

}  // namespace pgpp::kernels::cuda
