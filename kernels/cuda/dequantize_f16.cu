// prefill_ops.h's dequantize_to_f16: weight rows in their block format to IEEE halves, the
// operand cuBLAS multiplies during prompt processing. One thread per 8-weight chunk
// (kernels/quant/block_decode.h), so a warp reads 32 consecutive chunks of a row.
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/prefill_ops.h"
#include "kernels/cuda/weight_types.h"

namespace pgpp::kernels::cuda {

namespace {

namespace block = quant::block;

constexpr int kThreads = 256;
// A grid-stride loop past this many blocks: enough to fill any GPU, and the 64-bit work index
// never has to fit a launch dimension.
constexpr unsigned kMaxBlocks = 1u << 16;

// Work item i is chunk i % chunks_per_row of row i / chunks_per_row. The last chunk of a plain
// type's row may be short (cols % 8 weights), written element by element.
template <DType T>
__global__ void dequantize_rows_f16(const uint8_t* w, std::size_t row_bytes, int64_t cols,
                                    int64_t n_rows, __half* out) {
  const int64_t chunks_per_row = (cols + block::kChunk - 1) / block::kChunk;
  const int64_t whole = cols / block::kChunk;
  // Eight halves go out as one 16-byte store when every row starts 16-byte aligned.
  const bool vector_store = cols % block::kChunk == 0 && reinterpret_cast<uintptr_t>(out) % 16 == 0;
  const int64_t total = n_rows * chunks_per_row;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / chunks_per_row;
    const int64_t c = i % chunks_per_row;
    const uint8_t* row = w + r * row_bytes;
    __half* dst = out + r * cols + c * block::kChunk;
    if (c < whole) {
      float v[block::kChunk];
      block::decode_chunk<T>(row, c, v);
      if (vector_store) {
        __align__(16) __half2 h[4];
        for (int k = 0; k < 4; ++k) h[k] = __floats2half2_rn(v[2 * k], v[2 * k + 1]);
        *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(h);
      } else {
        for (int k = 0; k < block::kChunk; ++k) dst[k] = __float2half_rn(v[k]);
      }
    } else if constexpr (block::is_plain(T)) {
      for (int64_t k = c * block::kChunk; k < cols; ++k) {
        dst[k - c * block::kChunk] = __float2half_rn(block::decode_element<T>(row, k));
      }
    }
  }
}

}  // namespace

void dequantize_to_f16(CudaContext& ctx, const DeviceMatrix& w, int64_t row0, int64_t n_rows,
                       uint16_t* out) {
  const std::string op = "dequantize " + type_name(w.type) + " rows " + std::to_string(row0) +
                         ".." + std::to_string(row0 + n_rows) + " of " + std::to_string(w.rows) +
                         "x" + std::to_string(w.cols) + " to FP16";
  check_matrix(w.type, w.cols, w.rows, w.row_bytes, op);
  if (row0 < 0 || n_rows < 0 || row0 + n_rows > w.rows)
    throw Error("CUDA " + op + ": rows out of range");
  if (n_rows == 0) return;
  const auto* first =
      static_cast<const uint8_t*>(w.data) + static_cast<std::size_t>(row0) * w.row_bytes;
  const int64_t total = n_rows * ((w.cols + block::kChunk - 1) / block::kChunk);
  const unsigned blocks = std::min(blocks_for(total, kThreads), kMaxBlocks);
  with_weight_type(w.type, op, [&](auto tag) {
    constexpr DType T = decltype(tag)::value;
    dequantize_rows_f16<T><<<blocks, kThreads, 0, as_stream(ctx.stream())>>>(
        first, w.row_bytes, w.cols, n_rows, reinterpret_cast<__half*>(out));
  });
  check_launch(op);
}

}  // namespace pgpp::kernels::cuda
