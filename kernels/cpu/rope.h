#pragma once
// Rotary position embedding (RoPE) applied in place to query/key rows.
//
// Pair i (i < n_rot/2) of a head is rotated by angle pos * theta_i with
//   theta_i = base^(-2i / n_rot) / freq_factor[i] / linear_scale.
// Two orderings of the pairs exist in GGUF models (per llama.cpp's rope types):
//   Normal: (x[2i], x[2i+1])        — llama arch; the converter permuted Q/K rows to match
//   NeoX:   (x[i], x[i + n_rot/2])  — qwen2 and models converted without the permutation
// Dimensions at and after n_rot are left as they are (partial rotary).
#include <cstdint>
#include <vector>

#include "kernels/cpu_backend.h"

namespace pgpp::kernels::cpu {

enum class RopeOrder { Normal, NeoX };

class Rope {
 public:
  // freq_factors: empty, or n_rot/2 divisors of the frequencies (Llama 3.1's rope_freqs tensor).
  // linear_scale: positions are divided by it (rope.scaling.type = linear); 1 for none.
  Rope(int64_t head_dim, int64_t n_rot, double base, RopeOrder order, std::vector<float> freq_factors = {},
       double linear_scale = 1.0);

  // x: n_tokens rows of n_heads * head_dim floats; token t is at position positions[t].
  void apply(CpuBackend& cpu, float* x, int64_t n_tokens, int64_t n_heads, const int32_t* positions) const;

  int64_t head_dim() const { return head_dim_; }
  int64_t n_rot() const { return n_rot_; }
  RopeOrder order() const { return order_; }
  // theta_i for pair i, as used (after freq factors and scaling).
  double theta(int64_t i) const { return theta_[static_cast<std::size_t>(i)]; }

 private:
  int64_t head_dim_;
  int64_t n_rot_;
  RopeOrder order_;
  std::vector<double> theta_;
};

}  // namespace pgpp::kernels::cpu
