// AVX-512 VNNI integer kernels: vpdpbusd does the u8*s8 multiply-add into int32 in one
// instruction (no int16 intermediate). Registers stay 256 bits wide: decode is memory-bound,
// and on the Zen 4 development machine 512-bit operations are issued as two 256-bit halves.
// See vec_dot_x86.inc.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/cpu/vec_dot.h"

namespace pgpp::kernels::cpu {

namespace {
#define PGPP_X86_TARGET "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni"
#define PGPP_X86_VNNI 1
#include "kernels/cpu/vec_dot_x86.inc"
#undef PGPP_X86_TARGET
#undef PGPP_X86_VNNI
}  // namespace

QuantTileFn quant_tile_avx512(DType type) { return tile_for(type); }

}  // namespace pgpp::kernels::cpu
