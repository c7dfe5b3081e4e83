#pragma once
// Floats to 8-bit blocks: the activation side of the integer matrix products, and GGUF's Q8_0
// for anyone who stores floats compactly (a KV cache, for instance).
#include <cstdint>

namespace pgpp::kernels::quant {

// One block of 32 activations as the integer kernels read it: value = d * qs[i], |qs| <= 127
// (never -128, so sign tricks on qs cannot overflow). s[h] = d * (sum of qs[16h .. 16h+15])
// and s_all = s[0] + s[1]: the sums that weight formats with an offset or a minimum (Q4_0,
// Q4_1, K-quants) need, precomputed once per token instead of once per weight row.
// Unlike GGUF's Q8_0 the scale is a float: it costs no bandwidth here and keeps 8 bits of
// precision for any magnitude. 48 bytes, qs 16-byte aligned.
struct alignas(16) ActivationBlock {
  float d;
  float s[2];
  float s_all;
  int8_t qs[32];
};
static_assert(sizeof(ActivationBlock) == 48);

inline constexpr int kActivationBlock = 32;

// x has n floats, n a multiple of 32; out receives n / 32 blocks. Rounds half away from zero.
void quantize_activations(const float* x, ActivationBlock* out, int64_t n);

// GGUF Q8_0: per 32 floats an f16 scale d = max|x| / 127 and 32 signed bytes round(x / d);
// dst receives n / 32 * 34 bytes. n must be a multiple of 32.
void quantize_row_q8_0(const float* x, void* dst, int64_t n);

}  // namespace pgpp::kernels::quant
