#include "kernels/quant/quantize.h"

#include <cmath>
#include <cstring>

#include "kernels/float16.h"

namespace pgpp::kernels::quant {

namespace {
float max_abs(const float* x, int n) {
  float m = 0;
  for (int i = 0; i < n; ++i) m = std::fmax(m, std::fabs(x[i]));
  return m;
}
}  // namespace

void quantize_activations(const float* x, ActivationBlock* out, int64_t n) {
  for (int64_t b = 0; b < n / 32; ++b, x += 32, ++out) {
    const float amax = max_abs(x, 32);
    const float d = amax / 127.0f;
    const float id = d > 0 ? 1.0f / d : 0.0f;
    out->d = d;
    for (int h = 0; h < 2; ++h) {
      int s = 0;
      for (int i = 16 * h; i < 16 * h + 16; ++i) {
        const int q = static_cast<int>(std::round(x[i] * id));
        out->qs[i] = static_cast<int8_t>(q);
        s += q;
      }
      out->s[h] = d * static_cast<float>(s);
    }
    out->s_all = out->s[0] + out->s[1];
  }
}

void quantize_row_q8_0(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n / 32; ++i, x += 32, b += 34) {
    // As ggml's reference quantizer (bit-exact): the values are rounded (half away from zero)
    // with the float scale, which is then stored as f16.
    const float d = max_abs(x, 32) / 127.0f;
    const float id = d > 0 ? 1.0f / d : 0.0f;
    const uint16_t dh = fp32_to_fp16(d);
    std::memcpy(b, &dh, 2);
    for (int j = 0; j < 32; ++j) {
      const float q = std::fmax(-127.0f, std::fmin(127.0f, std::round(x[j] * id)));
      b[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(q));
    }
  }
}

}  // namespace pgpp::kernels::quant
