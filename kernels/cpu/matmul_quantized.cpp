#include "kernels/cpu/matmul_quantized.h"

#include <algorithm>
#include <string>
#include <vector>

#include "kernels/cpu/vec_dot.h"
#include "kernels/error.h"
#include "kernels/quant/dequantize.h"
#include "kernels/quant/quantize.h"

namespace pgpp::kernels::cpu {

namespace {

// Rows per task in prefill: a tile's weights (16 rows of at most a few KB) stay in L1/L2 while
// the token tile streams past them.
constexpr int64_t kRowTile = 16;
// Activation bytes per token tile: small enough to sit in L2 next to the weights.
constexpr int64_t kTokenTileBytes = 256 * 1024;
// Rows per task in decode: enough work to amortise the pool's hand-off.
constexpr int64_t kGemvMinRows = 16;

// Types without an integer kernel: each weight row dequantized once, dotted with every token
// in float.
void matmul_dequantized(CpuBackend& cpu, const TensorView& w, const float* x, int64_t n_tokens,
                        float* y) {
  const int64_t k = w.ne[0];
  const int64_t rows = w.rows();
  cpu.pool().parallel_for(rows, [&](int64_t r0, int64_t r1) {
    std::vector<float> row(static_cast<std::size_t>(k));
    for (int64_t r = r0; r < r1; ++r) {
      quant::dequantize_row(w.type, w.row(r), row.data(), k);
      for (int64_t t = 0; t < n_tokens; ++t) {
        const float* xt = x + t * k;
        float acc = 0;
        for (int64_t i = 0; i < k; ++i) acc += row[i] * xt[i];
        y[t * rows + r] = acc;
      }
    }
  });
}

}  // namespace

void matmul_quantized(CpuBackend& cpu, const TensorView& w, const float* x, int64_t n_tokens,
                      float* y) {
  const int64_t k = w.ne[0];
  const int64_t rows = w.rows();
  const int block = dtype_traits(w.type).block_size;
  if (k % block != 0) {
    throw Error("tensor " + w.name + ": rows of " + std::to_string(k) + " " +
                std::string(dtype_name(w.type)) + " weights are not whole blocks of " +
                std::to_string(block));
  }
  // A backend may be asked for a level the CPU lacks; never run instructions it doesn't have.
  static const SimdLevel kCpuBest = detect_cpu_features().best_level();
  const SimdLevel level = std::min(cpu.simd(), kCpuBest);
  const QuantTileFn tile =
      k % quant::kActivationBlock == 0 ? quant_tile_kernel(w.type, level) : nullptr;
  if (tile == nullptr) {
    matmul_dequantized(cpu, w, x, n_tokens, y);
    return;
  }

  // Activations quantized once per call, shared by every row.
  const int64_t xs = k / quant::kActivationBlock;
  std::vector<quant::ActivationBlock> xq(static_cast<std::size_t>(n_tokens * xs));
  if (n_tokens == 1) {
    quant::quantize_activations(x, xq.data(), k);
  } else {
    cpu.pool().parallel_for(n_tokens, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t)
        quant::quantize_activations(x + t * k, xq.data() + t * xs, k);
    });
  }

  const auto* wb = reinterpret_cast<const uint8_t*>(w.data);
  const std::size_t stride = w.row_stride();
  if (n_tokens == 1) {
    cpu.pool().parallel_for(
        rows,
        [&](int64_t r0, int64_t r1) {
          tile(k, wb + r0 * stride, stride, r1 - r0, xq.data(), 1, y + r0, rows);
        },
        kGemvMinRows);
    return;
  }

  const int64_t token_tile = std::max<int64_t>(
      4, kTokenTileBytes / (xs * static_cast<int64_t>(sizeof(quant::ActivationBlock))) / 4 * 4);
  const int64_t n_row_tiles = (rows + kRowTile - 1) / kRowTile;
  cpu.pool().parallel_for(n_row_tiles, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t r0 = i * kRowTile;
      const int64_t nr = std::min(kRowTile, rows - r0);
      for (int64_t t0 = 0; t0 < n_tokens; t0 += token_tile) {
        const int64_t nt = std::min(token_tile, n_tokens - t0);
        tile(k, wb + r0 * stride, stride, nr, xq.data() + t0 * xs, nt, y + t0 * rows + r0, rows);
      }
    }
  });
}

bool gemv_quantized_shared_input(CpuBackend& cpu, std::span<const TensorView* const> ws,
                                 const float* x, std::span<float* const> ys) {
  static const SimdLevel kCpuBest = detect_cpu_features().best_level();
  const SimdLevel level = std::min(cpu.simd(), kCpuBest);
  const int64_t k = ws[0]->ne[0];
  if (k % quant::kActivationBlock != 0) return false;
  std::vector<QuantTileFn> tiles;
  // Work units of kGemvMinRows rows; first_unit[i] is matrix i's first.
  std::vector<int64_t> first_unit{0};
  for (const TensorView* w : ws) {
    if (k % dtype_traits(w->type).block_size != 0) return false;
    tiles.push_back(quant_tile_kernel(w->type, level));
    if (tiles.back() == nullptr) return false;
    first_unit.push_back(first_unit.back() + (w->rows() + kGemvMinRows - 1) / kGemvMinRows);
  }
  std::vector<quant::ActivationBlock> xq(static_cast<std::size_t>(k / quant::kActivationBlock));
  quant::quantize_activations(x, xq.data(), k);
  cpu.pool().parallel_for(first_unit.back(), [&](int64_t u0, int64_t u1) {
    // The units [u0, u1) may span matrices: one tile call per matrix touched.
    for (std::size_t i = 0; i < ws.size() && u0 < u1; ++i) {
      if (u0 >= first_unit[i + 1]) continue;
      const TensorView& w = *ws[i];
      const int64_t end = std::min(u1, first_unit[i + 1]);
      const int64_t r0 = (u0 - first_unit[i]) * kGemvMinRows;
      const int64_t r1 = std::min(w.rows(), (end - first_unit[i]) * kGemvMinRows);
      const std::size_t stride = w.row_stride();
      tiles[i](k, reinterpret_cast<const uint8_t*>(w.data) + r0 * stride, stride, r1 - r0,
               xq.data(), 1, ys[i] + r0, w.rows());
      u0 = end;
    }
  });
  return true;
}

}  // namespace pgpp::kernels::cpu
