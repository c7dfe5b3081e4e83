// AVX2 + FMA integer kernels (vpmaddubsw): see vec_dot_x86.inc.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/cpu/vec_dot.h"

namespace pgpp::kernels::cpu {

namespace {
#define PGPP_X86_TARGET "avx2,fma,f16c"
#define PGPP_X86_VNNI 0
#include "kernels/cpu/vec_dot_x86.inc"
#undef PGPP_X86_TARGET
#undef PGPP_X86_VNNI
}  // namespace

QuantTileFn quant_tile_avx2(DType type) { return tile_for(type); }

}  // namespace pgpp::kernels::cpu
