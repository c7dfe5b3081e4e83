#pragma once
// Weight block formats decoded eight weights at a time, for code compiled by both g++ and nvcc:
// the GPU kernels (matrix-vector products, dequantize-to-FP16 for cuBLAS, row look-ups) call
// these on the device, and tests/kernels/block_decode_test.cpp checks them on the host against
// quant::dequantize_row (kernels/quant/dequantize.cpp, the reference for every layout below).
//
// The unit is a chunk: weights [8c, 8c + 8) of a row. Eight divides every block size (32 or 256
// weights), so a chunk never straddles two blocks and one thread (or lane) can decode it alone;
// consecutive lanes taking consecutive chunks read consecutive bytes of a block.
//
// Each formula is written as the reference writes it ((d * scale) * q - dmin * min, in that
// order) so the host results are bit-identical; nvcc may fuse a multiply-add on the device,
// which moves a result by at most an ulp.
//
// Alignment: callers pass the start of a row. Rows of the block formats are 2-byte aligned (all
// block sizes are even) and F32 rows 4-byte aligned; nothing wider is assumed.
#include <bit>
#include <cstdint>
#include <cstring>

#include "kernels/dtype.h"
#include "kernels/float16.h"

#if defined(__CUDACC__)
#include <cuda_fp16.h>
#define PGPP_HD __host__ __device__ __forceinline__
#else
#define PGPP_HD inline
#endif

namespace pgpp::kernels::quant::block {

inline constexpr int kChunk = 8;  // weights decoded per call

// Weights and bytes per block of a type the decoders know (1 weight for plain types); {0, 0}
// for other types. Mirrors dtype_traits, which is not usable on the device.
struct BlockLayout {
  int weights;
  int bytes;
};

PGPP_HD constexpr BlockLayout layout_of(DType t) {
  switch (t) {
    case DType::F32:
      return {1, 4};
    case DType::F16:
      return {1, 2};
    case DType::BF16:
      return {1, 2};
    case DType::Q4_0:
      return {32, 18};
    case DType::Q4_1:
      return {32, 20};
    case DType::Q5_0:
      return {32, 22};
    case DType::Q5_1:
      return {32, 24};
    case DType::Q8_0:
      return {32, 34};
    case DType::Q2_K:
      return {256, 84};
    case DType::Q3_K:
      return {256, 110};
    case DType::Q4_K:
      return {256, 144};
    case DType::Q5_K:
      return {256, 176};
    case DType::Q6_K:
      return {256, 210};
    case DType::Q8_K:
      return {256, 292};
    default:
      return {0, 0};
  }
}

// True for the types decode_chunk knows.
PGPP_HD constexpr bool can_decode(DType t) {
  return layout_of(t).weights != 0;
}

// Plain types (F32, F16, BF16) allow any row length, so a row's last chunk may be short:
// decode_element covers the cols % 8 weights after the last whole chunk. Block types always
// have whole chunks (their rows are whole blocks).
PGPP_HD constexpr bool is_plain(DType t) {
  return layout_of(t).weights == 1;
}

// ---- loads -------------------------------------------------------------------------------

PGPP_HD uint16_t load_u16(const uint8_t* p) {
#if defined(__CUDA_ARCH__)
  return *reinterpret_cast<const uint16_t*>(p);  // 2-byte aligned, see the top of the file
#else
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
#endif
}

// Q5_x's qh sits at an offset that is only 2-byte aligned: two halves make the word.
PGPP_HD uint32_t load_u32_2aligned(const uint8_t* p) {
  return static_cast<uint32_t>(load_u16(p)) | (static_cast<uint32_t>(load_u16(p + 2)) << 16);
}

PGPP_HD float load_f32(const uint8_t* p) {
#if defined(__CUDA_ARCH__)
  return *reinterpret_cast<const float*>(p);
#else
  float v;
  std::memcpy(&v, p, 4);
  return v;
#endif
}

PGPP_HD float half_to_float(uint16_t bits) {
#if defined(__CUDA_ARCH__)
  return __half2float(__ushort_as_half(bits));
#else
  return fp16_to_fp32(bits);
#endif
}

PGPP_HD float bfloat_to_float(uint16_t bits) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(static_cast<uint32_t>(bits) << 16);
#else
  return bf16_to_fp32(bits);
#endif
}

PGPP_HD float load_f16(const uint8_t* p) {
  return half_to_float(load_u16(p));
}

// ---- plain types -------------------------------------------------------------------------

PGPP_HD void decode_f32(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* p = row + c * 32;
  for (int i = 0; i < 8; ++i) out[i] = load_f32(p + 4 * i);
}

PGPP_HD void decode_f16(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* p = row + c * 16;
  for (int i = 0; i < 8; ++i) out[i] = load_f16(p + 2 * i);
}

PGPP_HD void decode_bf16(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* p = row + c * 16;
  for (int i = 0; i < 8; ++i) out[i] = bfloat_to_float(load_u16(p + 2 * i));
}

// The per-weight work of a decode is a few integer operations and one conversion to float, so
// at decode's rates the GPU is bound by instruction issue as much as by memory: the helpers
// below keep it to full-rate instructions and half the loads of byte-by-byte reads.

// Eight bytes at a 2-byte aligned address as two little-endian words (4 loads, not 8).
struct Bytes8 {
  uint32_t lo, hi;
};

PGPP_HD Bytes8 load_bytes8(const uint8_t* p) {
  return {load_u32_2aligned(p), load_u32_2aligned(p + 4)};
}

// Byte i (0..7) of the eight.
PGPP_HD uint32_t byte_at(Bytes8 b, int i) {
  return ((i < 4 ? b.lo : b.hi) >> (8 * (i % 4))) & 0xFFu;
}

// The float of a small integer (|v| < 2^22), exactly static_cast<float>(v), without the
// int-to-float converter (a quarter-rate unit on the GPU): 1.5 * 2^23 has an ulp of 1, so adding
// v to its bits makes 1.5 * 2^23 + v, and one exact subtraction leaves v.
PGPP_HD float small_int_to_float(int v) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23, bits 0x4B400000
#if defined(__CUDA_ARCH__)
  return __int_as_float(0x4B400000 + v) - kMagic;
#else
  return std::bit_cast<float>(static_cast<uint32_t>(0x4B400000 + v)) - kMagic;
#endif
}

// ---- 32-weight blocks --------------------------------------------------------------------
// Chunk s (0..3) of a block covers weights 8s..8s+7. In Q4/Q5 weight j < 16 is the low nibble
// of byte j and weight j + 16 the high nibble, so chunk s reads bytes 8(s%2)..+7, nibble s/2.

// Q4_0 (18 bytes): f16 d, 16 bytes of nibbles; value = (q - 8) * d.
PGPP_HD void decode_q4_0(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* b = row + (c / 4) * 18;
  const int s = static_cast<int>(c % 4);
  const float d = load_f16(b);
  const Bytes8 q = load_bytes8(b + 2 + 8 * (s & 1));
  const int shift = 4 * (s >> 1);
  for (int i = 0; i < 8; ++i) {
    out[i] = small_int_to_float(static_cast<int>((byte_at(q, i) >> shift) & 0x0F) - 8) * d;
  }
}

// Q4_1 (20 bytes): f16 d, f16 m, 16 bytes of nibbles; value = q * d + m.
PGPP_HD void decode_q4_1(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* b = row + (c / 4) * 20;
  const int s = static_cast<int>(c % 4);
  const float d = load_f16(b);
  const float m = load_f16(b + 2);
  const Bytes8 q = load_bytes8(b + 4 + 8 * (s & 1));
  const int shift = 4 * (s >> 1);
  for (int i = 0; i < 8; ++i) {
    out[i] = small_int_to_float(static_cast<int>((byte_at(q, i) >> shift) & 0x0F)) * d + m;
  }
}

// Q5_0 (22 bytes): f16 d, u32 qh (bit j: 5th bit of weight j), 16 bytes of nibbles;
// value = (q - 16) * d.
PGPP_HD void decode_q5_0(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* b = row + (c / 4) * 22;
  const int s = static_cast<int>(c % 4);
  const float d = load_f16(b);
  const uint32_t qh = load_u32_2aligned(b + 2) >> (8 * s);
  const Bytes8 q = load_bytes8(b + 6 + 8 * (s & 1));
  const int shift = 4 * (s >> 1);
  for (int i = 0; i < 8; ++i) {
    const auto v = static_cast<int>(((byte_at(q, i) >> shift) & 0x0F) | (((qh >> i) & 1u) << 4));
    out[i] = small_int_to_float(v - 16) * d;
  }
}

// Q5_1 (24 bytes): f16 d, f16 m, u32 qh, 16 bytes of nibbles; value = q * d + m.
PGPP_HD void decode_q5_1(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* b = row + (c / 4) * 24;
  const int s = static_cast<int>(c % 4);
  const float d = load_f16(b);
  const float m = load_f16(b + 2);
  const uint32_t qh = load_u32_2aligned(b + 4) >> (8 * s);
  const Bytes8 q = load_bytes8(b + 8 + 8 * (s & 1));
  const int shift = 4 * (s >> 1);
  for (int i = 0; i < 8; ++i) {
    const auto v = static_cast<int>(((byte_at(q, i) >> shift) & 0x0F) | (((qh >> i) & 1u) << 4));
    out[i] = small_int_to_float(v) * d + m;
  }
}

// Q8_0 (34 bytes): f16 d, 32 signed bytes; value = q * d.
PGPP_HD void decode_q8_0(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* b = row + (c / 4) * 34;
  const int s = static_cast<int>(c % 4);
  const float d = load_f16(b);
  const Bytes8 q = load_bytes8(b + 2 + 8 * s);
  for (int i = 0; i < 8; ++i) out[i] = small_int_to_float(static_cast<int8_t>(byte_at(q, i))) * d;
}

// ---- 256-weight super-blocks -------------------------------------------------------------
// Chunk s (0..31) covers weights e = 8s..8s+7 of the super-block: they share the 128-weight
// half (s / 16), the 32-weight quarter of that half (p = (s / 4) % 4), the group of 32
// (g = s / 4) and the 16-weight scale (s / 2); within a 32-byte run they start at l0 = 8 (s % 4).
// The scales are converted once per chunk; the weights through small_int_to_float.

// Q2_K (84 bytes): scales[16] (low nibble scale, high nibble min), qs[64], f16 d, f16 dmin;
// group p of a half takes bits 2p..2p+1 of that half's 32 bytes; value = d sc q - dmin mn.
PGPP_HD void decode_q2_k(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* b = row + (c / 32) * 84;
  const int s = static_cast<int>(c % 32);
  const int half = s / 16, p = (s / 4) % 4, l0 = 8 * (s % 4);
  const int sc = b[s / 2];
  const float dl = load_f16(b + 80) * static_cast<float>(sc & 0xF);
  const float ml = load_f16(b + 82) * static_cast<float>(sc >> 4);
  const Bytes8 q = load_bytes8(b + 16 + 32 * half + l0);
  for (int i = 0; i < 8; ++i) {
    out[i] = dl * small_int_to_float(static_cast<int>((byte_at(q, i) >> (2 * p)) & 3)) - ml;
  }
}

// Q3_K's sixteen 6-bit scales in 12 bytes (see dequantize.cpp's q3_k_scale), offset by 32.
PGPP_HD int q3_k_scale(const uint8_t* p, int s) {
  const int low = s < 8 ? (p[s] & 0xF) : (p[s - 8] >> 4);
  const int high = (p[8 + s % 4] >> (2 * (s / 4))) & 3;
  return (low | (high << 4)) - 32;
}

// Q3_K (110 bytes): hmask[32] (bit g of byte l: high bit of weight 32g + l), qs[64] (low 2
// bits, as Q2_K), scales[12], f16 d; value = d * scale * (low + 4 high - 4).
PGPP_HD void decode_q3_k(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* b = row + (c / 32) * 110;
  const int s = static_cast<int>(c % 32);
  const int half = s / 16, p = (s / 4) % 4, g = s / 4, l0 = 8 * (s % 4);
  const float dl = load_f16(b + 108) * static_cast<float>(q3_k_scale(b + 96, s / 2));
  const Bytes8 hm = load_bytes8(b + l0);
  const Bytes8 q = load_bytes8(b + 32 + 32 * half + l0);
  for (int i = 0; i < 8; ++i) {
    const auto low = static_cast<int>((byte_at(q, i) >> (2 * p)) & 3);
    const auto high = static_cast<int>((byte_at(hm, i) >> g) & 1);
    out[i] = dl * small_int_to_float(low + 4 * high - 4);
  }
}

// Q4_K/Q5_K's eight 6-bit scales and mins in 12 bytes (see dequantize.cpp's k4_scale_min).
PGPP_HD void k4_scale_min(const uint8_t* p, int j, int& sc, int& mn) {
  if (j < 4) {
    sc = p[j] & 63;
    mn = p[j + 4] & 63;
  } else {
    sc = (p[j + 4] & 0xF) | ((p[j - 4] >> 6) << 4);
    mn = (p[j + 4] >> 4) | ((p[j] >> 6) << 4);
  }
}

// Q4_K (144 bytes): f16 d, f16 dmin, scales[12], qs[128]; group g of 32 weights is the low
// (g even) or high (g odd) nibbles of bytes 32 (g / 2) ..+31; value = d sc q - dmin mn.
PGPP_HD void decode_q4_k(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* b = row + (c / 32) * 144;
  const int s = static_cast<int>(c % 32);
  const int g = s / 4, l0 = 8 * (s % 4);
  int sc, mn;
  k4_scale_min(b + 4, g, sc, mn);
  const float dl = load_f16(b) * static_cast<float>(sc);
  const float ml = load_f16(b + 2) * static_cast<float>(mn);
  const Bytes8 q = load_bytes8(b + 16 + 32 * (g / 2) + l0);
  const int shift = 4 * (g % 2);
  for (int i = 0; i < 8; ++i) {
    out[i] = dl * small_int_to_float(static_cast<int>((byte_at(q, i) >> shift) & 0xF)) - ml;
  }
}

// Q5_K (176 bytes): as Q4_K with qh[32] before qs[128]: bit g of qh[l] is the 5th bit of
// weight 32g + l.
PGPP_HD void decode_q5_k(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* b = row + (c / 32) * 176;
  const int s = static_cast<int>(c % 32);
  const int g = s / 4, l0 = 8 * (s % 4);
  int sc, mn;
  k4_scale_min(b + 4, g, sc, mn);
  const float dl = load_f16(b) * static_cast<float>(sc);
  const float ml = load_f16(b + 2) * static_cast<float>(mn);
  const Bytes8 qh = load_bytes8(b + 16 + l0);
  const Bytes8 q = load_bytes8(b + 48 + 32 * (g / 2) + l0);
  const int shift = 4 * (g % 2);
  for (int i = 0; i < 8; ++i) {
    const auto v =
        static_cast<int>(((byte_at(q, i) >> shift) & 0xF) | (((byte_at(qh, i) >> g) & 1) << 4));
    out[i] = dl * small_int_to_float(v) - ml;
  }
}

// Q6_K (210 bytes): ql[128], qh[64], int8 scales[16], f16 d. Quarter p of a half: low 4 bits
// from ql[64 half + 32 (p % 2) + l] (low nibble for p < 2, high for p >= 2), high 2 bits from
// qh[32 half + l] bits 2p..2p+1; value = d * scale * (q - 32).
PGPP_HD void decode_q6_k(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* b = row + (c / 32) * 210;
  const int s = static_cast<int>(c % 32);
  const int half = s / 16, p = (s / 4) % 4, l0 = 8 * (s % 4);
  const float dl = load_f16(b + 208) * static_cast<float>(static_cast<int8_t>(b[192 + s / 2]));
  const Bytes8 ql = load_bytes8(b + 64 * half + 32 * (p % 2) + l0);
  const Bytes8 qh = load_bytes8(b + 128 + 32 * half + l0);
  const int shift = 4 * (p / 2);
  for (int i = 0; i < 8; ++i) {
    const auto v = static_cast<int>(((byte_at(ql, i) >> shift) & 0xF) |
                                    (((byte_at(qh, i) >> (2 * p)) & 3) << 4));
    out[i] = dl * small_int_to_float(v - 32);
  }
}

// Q8_K (292 bytes): f32 d, 256 signed bytes, 16 int16 sums (unused here); value = q * d.
PGPP_HD void decode_q8_k(const uint8_t* row, int64_t c, float* out) {
  const uint8_t* b = row + (c / 32) * 292;
  const int s = static_cast<int>(c % 32);
  const float d = load_f32(b);
  const Bytes8 q = load_bytes8(b + 4 + 8 * s);
  for (int i = 0; i < 8; ++i) out[i] = small_int_to_float(static_cast<int8_t>(byte_at(q, i))) * d;
}

// ---- dispatch ----------------------------------------------------------------------------

// Chunk c of a row of type T: the form kernels use, templated so the decode inlines into the
// inner loop.
template <DType T>
PGPP_HD void decode_chunk(const uint8_t* row, int64_t c, float* out) {
  if constexpr (T == DType::F32) {
    decode_f32(row, c, out);
  } else if constexpr (T == DType::F16) {
    decode_f16(row, c, out);
  } else if constexpr (T == DType::BF16) {
    decode_bf16(row, c, out);
  } else if constexpr (T == DType::Q4_0) {
    decode_q4_0(row, c, out);
  } else if constexpr (T == DType::Q4_1) {
    decode_q4_1(row, c, out);
  } else if constexpr (T == DType::Q5_0) {
    decode_q5_0(row, c, out);
  } else if constexpr (T == DType::Q5_1) {
    decode_q5_1(row, c, out);
  } else if constexpr (T == DType::Q8_0) {
    decode_q8_0(row, c, out);
  } else if constexpr (T == DType::Q2_K) {
    decode_q2_k(row, c, out);
  } else if constexpr (T == DType::Q3_K) {
    decode_q3_k(row, c, out);
  } else if constexpr (T == DType::Q4_K) {
    decode_q4_k(row, c, out);
  } else if constexpr (T == DType::Q5_K) {
    decode_q5_k(row, c, out);
  } else if constexpr (T == DType::Q6_K) {
    decode_q6_k(row, c, out);
  } else if constexpr (T == DType::Q8_K) {
    decode_q8_k(row, c, out);
  } else {
    static_assert(T == DType::F32, "no chunk decoder for this type");
  }
}

// The same chosen at run time; false (out untouched) for a type can_decode rejects.
PGPP_HD bool decode_chunk(DType type, const uint8_t* row, int64_t c, float* out) {
  switch (type) {
    case DType::F32:
      decode_f32(row, c, out);
      return true;
    case DType::F16:
      decode_f16(row, c, out);
      return true;
    case DType::BF16:
      decode_bf16(row, c, out);
      return true;
    case DType::Q4_0:
      decode_q4_0(row, c, out);
      return true;
    case DType::Q4_1:
      decode_q4_1(row, c, out);
      return true;
    case DType::Q5_0:
      decode_q5_0(row, c, out);
      return true;
    case DType::Q5_1:
      decode_q5_1(row, c, out);
      return true;
    case DType::Q8_0:
      decode_q8_0(row, c, out);
      return true;
    case DType::Q2_K:
      decode_q2_k(row, c, out);
      return true;
    case DType::Q3_K:
      decode_q3_k(row, c, out);
      return true;
    case DType::Q4_K:
      decode_q4_k(row, c, out);
      return true;
    case DType::Q5_K:
      decode_q5_k(row, c, out);
      return true;
    case DType::Q6_K:
      decode_q6_k(row, c, out);
      return true;
    case DType::Q8_K:
      decode_q8_k(row, c, out);
      return true;
    default:
      return false;
  }
}

// Weight i of a plain-type row (the tail after the last whole chunk).
template <DType T>
PGPP_HD float decode_element(const uint8_t* row, int64_t i) {
  if constexpr (T == DType::F32) {
    return load_f32(row + 4 * i);
  } else if constexpr (T == DType::F16) {
    return load_f16(row + 2 * i);
  } else {
    static_assert(T == DType::BF16, "only plain types have elements outside whole chunks");
    return bfloat_to_float(load_u16(row + 2 * i));
  }
}

PGPP_HD float decode_element(DType type, const uint8_t* row, int64_t i) {
  switch (type) {
    case DType::F32:
      return decode_element<DType::F32>(row, i);
    case DType::F16:
      return decode_element<DType::F16>(row, i);
    default:
      return decode_element<DType::BF16>(row, i);
  }
}

}  // namespace pgpp::kernels::quant::block
