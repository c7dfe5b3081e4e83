// Scalar integer kernels: the path every CPU has, and the model the SIMD ones follow.
#include <cstdint>
#include <cstring>

#include "kernels/cpu/vec_dot.h"
#include "kernels/float16.h"

namespace pgpp::kernels::cpu {

namespace {

inline float load_f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return fp16_to_fp32(h);
}

#define PGPP_QB_FN static inline
#define PGPP_QB_H2F(p) load_f16(p)
#include "kernels/cpu/quant_blocks.inc"
#undef PGPP_QB_FN
#undef PGPP_QB_H2F

template <class Block, int NT>
void row_dot(int64_t nb, const uint8_t* w, const quant::ActivationBlock* x, int64_t xs,
             float* out) {
  constexpr int kSub = Block::kElems / 32;
  float acc[NT] = {};
  float a[Block::kElems / 16], c[Block::kElems / 16];
  int q[32];
  for (int64_t ib = 0; ib < nb; ++ib, w += Block::kBytes) {
    Block::prepare(w, a, c);
    for (int j = 0; j < kSub; ++j) {
      Block::unpack(w, j, q);
      for (int t = 0; t < NT; ++t) {
        const quant::ActivationBlock& xb = x[t * xs + ib * kSub + j];
        int s0 = 0, s1 = 0;
        for (int l = 0; l < 16; ++l) s0 += q[l] * xb.qs[l];
        for (int l = 16; l < 32; ++l) s1 += q[l] * xb.qs[l];
        acc[t] += xb.d * (a[2 * j] * static_cast<float>(s0) + a[2 * j + 1] * static_cast<float>(s1)) +
                  c[2 * j] * xb.s[0] + c[2 * j + 1] * xb.s[1];
      }
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = acc[t];
}

#define PGPP_TILE_FN
#include "kernels/cpu/vec_dot_tile.inc"
#undef PGPP_TILE_FN

}  // namespace

QuantTileFn quant_tile_scalar(DType type) { return tile_for(type); }

QuantTileFn quant_tile_kernel(DType type, SimdLevel level) {
  switch (level) {
    case SimdLevel::Avx512: return quant_tile_avx512(type);
    case SimdLevel::Avx2: return quant_tile_avx2(type);
    case SimdLevel::Scalar: break;
  }
  return quant_tile_scalar(type);
}

}  // namespace pgpp::kernels::cpu
