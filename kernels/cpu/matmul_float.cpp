#include "kernels/cpu/matmul_float.h"

#include <vector>

#include "kernels/quant/dequantize.h"

namespace pgpp::kernels::cpu {

// First, plain version: rows of W converted to float one at a time, spread over the pool.
void matmul_float(CpuBackend& cpu, const TensorView& w, const float* x, int64_t n_tokens, float* y) {
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

}  // namespace pgpp::kernels::cpu
