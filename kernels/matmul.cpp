#include "kernels/matmul.h"

#include <string>

#include "kernels/cpu/matmul_float.h"
#include "kernels/cpu/matmul_quantized.h"
#include "kernels/error.h"
#include "kernels/quant/dequantize.h"

namespace pgpp::kernels {

namespace {
bool is_float_type(DType t) {
  return t == DType::F32 || t == DType::F16 || t == DType::BF16;
}
}  // namespace

bool matmul_supports(DType type) {
  return is_float_type(type) || quant::can_dequantize(type);
}

void matmul(CpuBackend& cpu, const TensorView& w, const float* x, int64_t n_tokens, float* y) {
  if (!matmul_supports(w.type)) {
    throw Error("tensor " + w.name + ": matrix products with " + std::string(dtype_name(w.type)) +
                " weights are not supported");
  }
  if (is_float_type(w.type)) {
    cpu::matmul_float(cpu, w, x, n_tokens, y);
  } else {
    cpu::matmul_quantized(cpu, w, x, n_tokens, y);
  }
}

void matmul_shared_input(CpuBackend& cpu, std::span<const TensorView* const> ws, const float* x,
                         int64_t n_tokens, std::span<float* const> ys) {
  if (ws.size() != ys.size())
    throw Error("matmul_shared_input: as many outputs as matrices are needed");
  bool fusable = n_tokens == 1 && !ws.empty();
  for (const TensorView* w : ws) {
    fusable =
        fusable && w->ne[0] == ws[0]->ne[0] && !is_float_type(w->type) && matmul_supports(w->type);
  }
  if (fusable && cpu::gemv_quantized_shared_input(cpu, ws, x, ys)) return;
  for (std::size_t i = 0; i < ws.size(); ++i) matmul(cpu, *ws[i], x, n_tokens, ys[i]);
}

void get_row(const TensorView& w, int64_t row, float* dst) {
  if (row < 0 || row >= w.rows()) {
    throw Error("tensor " + w.name + ": row " + std::to_string(row) + " out of range");
  }
  quant::dequantize_row(w.type, w.row(row), dst, w.ne[0]);
}

}  // namespace pgpp::kernels
