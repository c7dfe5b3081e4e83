#pragma once
// Matrix products with F32, F16 or BF16 weights (the encoder's, and float tensors of decoders):
//
//   y[t][r] = sum_k W[r][k] * x[t][k]
//
// A cache-blocked GEMM: W is packed into panels of kPanelRows rows stored k-major (for each k,
// kPanelRows consecutive outputs' weights, as floats), so the micro-kernel loads one vector of
// weights per k and broadcasts one x value per token — no horizontal sums. Panels are split
// over the pool by (panel group, token block). One or a few tokens (decode, a single query)
// take a GEMV path that streams W once without packing.
#include <cstdint>
#include <vector>

#include "kernels/cpu_backend.h"
#include "kernels/tensor_view.h"

namespace pgpp::kernels::cpu {

inline constexpr int64_t kPanelRows = 32;

// W converted to floats and packed once, for a model that multiplies by it many times.
// Layout: panel p (rows [32p, 32p+32), zero-padded past `rows`) is k x 32 floats at
// data[p * k * 32]; element (r, k) of W is data[(r / 32) * k_total * 32 + k * 32 + r % 32].
struct PackedWeight {
  int64_t rows = 0;
  int64_t k = 0;
  std::vector<float> data;
};

PackedWeight pack_weight(CpuBackend& cpu, const TensorView& w);
void matmul_packed(CpuBackend& cpu, const PackedWeight& w, const float* x, int64_t n_tokens, float* y);

// Building blocks for kernels that run their own parallel loops (attention): packing of a
// float matrix held in memory and a product on the calling thread only.
// Floats a packed rows x k matrix takes.
std::size_t packed_size(int64_t rows, int64_t k);
// W[r][i] = w[r * ld + i]            (rows of W are rows in memory, e.g. keys)
void pack_rows(const float* w, int64_t ld, int64_t rows, int64_t k, float* dst);
// W[r][i] = v[i * ld + r]            (rows of W are columns in memory, e.g. values transposed)
void pack_columns(const float* v, int64_t ld, int64_t rows, int64_t k, float* dst);
// y[t * ldy + r] = sum_i W[r][i] * x[t * ldx + i], on the calling thread.
void gemm_serial(SimdLevel level, const float* packed, int64_t rows, int64_t k, const float* x, int64_t ldx,
                 int64_t n_tokens, float* y, int64_t ldy);

// Any F32/F16/BF16 weight: GEMV for few tokens, else packs W for this call and runs the GEMM.
void matmul_float(CpuBackend& cpu, const TensorView& w, const float* x, int64_t n_tokens, float* y);

}  // namespace pgpp::kernels::cpu
