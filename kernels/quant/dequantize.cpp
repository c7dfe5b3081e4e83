#include "kernels/quant/dequantize.h"

#include <cstring>
#include <string>

#include "kernels/error.h"
#include "kernels/float16.h"

namespace pgpp::kernels::quant {

// The scalar reference: each format written the way the GGUF/GGML block definitions describe
// it, one weight at a time. Fast kernels (kernels/cpu/vec_dot_*) are tested against this, and
// this is tested against the `gguf` Python package (tests/data/quant).

namespace {

uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

float load_f16(const uint8_t* p) { return fp16_to_fp32(load_u16(p)); }

// Q4_0 (18 bytes / 32 weights): f16 scale d, then 16 bytes of 4-bit values; weight j is the
// low nibble of byte j and weight j+16 its high nibble; value = (q - 8) * d.
void dequantize_q4_0(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 32; ++i, b += 18, y += 32) {
    const float d = load_f16(b);
    for (int j = 0; j < 16; ++j) {
      y[j] = static_cast<float>((b[2 + j] & 0x0F) - 8) * d;
      y[j + 16] = static_cast<float>((b[2 + j] >> 4) - 8) * d;
    }
  }
}

// Q4_1 (20 bytes / 32): f16 scale d, f16 minimum m, 16 bytes of nibbles; value = q * d + m.
void dequantize_q4_1(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 32; ++i, b += 20, y += 32) {
    const float d = load_f16(b);
    const float m = load_f16(b + 2);
    for (int j = 0; j < 16; ++j) {
      y[j] = static_cast<float>(b[4 + j] & 0x0F) * d + m;
      y[j + 16] = static_cast<float>(b[4 + j] >> 4) * d + m;
    }
  }
}

// Q5_0 (22 bytes / 32): f16 d, 4 bytes qh (bit e = 5th bit of weight e, little-endian), 16
// bytes of low nibbles laid out as in Q4_0; value = (q - 16) * d.
void dequantize_q5_0(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 32; ++i, b += 22, y += 32) {
    const float d = load_f16(b);
    uint32_t qh;
    std::memcpy(&qh, b + 2, 4);
    for (int j = 0; j < 16; ++j) {
      const int q0 = (b[6 + j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
      const int q1 = (b[6 + j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
      y[j] = static_cast<float>(q0 - 16) * d;
      y[j + 16] = static_cast<float>(q1 - 16) * d;
    }
  }
}

// Q5_1 (24 bytes / 32): f16 d, f16 m, 4 bytes qh, 16 bytes nibbles; value = q * d + m.
void dequantize_q5_1(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 32; ++i, b += 24, y += 32) {
    const float d = load_f16(b);
    const float m = load_f16(b + 2);
    uint32_t qh;
    std::memcpy(&qh, b + 4, 4);
    for (int j = 0; j < 16; ++j) {
      const int q0 = (b[8 + j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
      const int q1 = (b[8 + j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
      y[j] = static_cast<float>(q0) * d + m;
      y[j + 16] = static_cast<float>(q1) * d + m;
    }
  }
}

// Q8_0 (34 bytes / 32): f16 d, 32 signed bytes; value = q * d.
void dequantize_q8_0(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 32; ++i, b += 34, y += 32) {
    const float d = load_f16(b);
    for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(static_cast<int8_t>(b[2 + j])) * d;
  }
}

// Q2_K (84 bytes / 256): scales[16] (low nibble: scale, high nibble: min of each group of 16),
// qs[64] (2-bit values), f16 d, f16 dmin. Each 128 weights use 32 bytes of qs: group p (0..3)
// takes bits 2p..2p+1 of those 32 bytes; value = d * scale * q - dmin * min.
void dequantize_q2_k(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 256; ++i, b += 84) {
    const uint8_t* sc = b;
    const uint8_t* q = b + 16;
    const float d = load_f16(b + 80);
    const float dmin = load_f16(b + 82);
    for (int e = 0; e < 256; ++e, ++y) {
      const int half = e / 128, p = (e % 128) / 32, l = e % 32;
      const int s = sc[e / 16];
      const int v = (q[32 * half + l] >> (2 * p)) & 3;
      *y = d * static_cast<float>(s & 0xF) * static_cast<float>(v) - dmin * static_cast<float>(s >> 4);
    }
  }
}

// The sixteen 6-bit scales of Q3_K, packed in 12 bytes: scale s has its low 4 bits in byte s
// (s < 8, low nibble) or byte s-8 (s >= 8, high nibble), and its high 2 bits in byte 8 + s%4,
// bits 2*(s/4)..+1.
int q3_k_scale(const uint8_t* p, int s) {
  const int low = s < 8 ? (p[s] & 0xF) : (p[s - 8] >> 4);
  const int high = (p[8 + s % 4] >> (2 * (s / 4))) & 3;
  return (low | (high << 4)) - 32;
}

// Q3_K (110 bytes / 256): hmask[32] (bit g of byte l: high bit of weight 32g + l), qs[64]
// (low 2 bits, laid out as in Q2_K), scales[12] (sixteen 6-bit signed scales, offset 32), f16 d.
// value = d * scale * (low + 4*high - 4).
void dequantize_q3_k(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 256; ++i, b += 110) {
    const uint8_t* hm = b;
    const uint8_t* q = b + 32;
    const uint8_t* sc = b + 96;
    const float d = load_f16(b + 108);
    for (int e = 0; e < 256; ++e, ++y) {
      const int half = e / 128, p = (e % 128) / 32, l = e % 32, g = e / 32;
      const int low = (q[32 * half + l] >> (2 * p)) & 3;
      const int high = (hm[l] >> g) & 1;
      *y = d * static_cast<float>(q3_k_scale(sc, e / 16)) * static_cast<float>(low + 4 * high - 4);
    }
  }
}

// The eight 6-bit scales and mins of Q4_K/Q5_K, packed in 12 bytes: for group j < 4, scale =
// p[j] & 63, min = p[j+4] & 63; for j >= 4, scale = (p[j+4] & 15) | (p[j-4] >> 6) << 4 and
// min = (p[j+4] >> 4) | (p[j] >> 6) << 4.
void k4_scale_min(const uint8_t* p, int j, int& sc, int& mn) {
  if (j < 4) {
    sc = p[j] & 63;
    mn = p[j + 4] & 63;
  } else {
    sc = (p[j + 4] & 0xF) | ((p[j - 4] >> 6) << 4);
    mn = (p[j + 4] >> 4) | ((p[j] >> 6) << 4);
  }
}

// Q4_K (144 bytes / 256): f16 d, f16 dmin, scales[12], qs[128]. Each 64 weights take 32 bytes:
// the first 32 weights are the low nibbles, the next 32 the high ones. Group j of 32 weights:
// value = d * scale_j * q - dmin * min_j.
void dequantize_q4_k(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 256; ++i, b += 144) {
    const float d = load_f16(b);
    const float dmin = load_f16(b + 2);
    const uint8_t* q = b + 16;
    for (int e = 0; e < 256; ++e, ++y) {
      const int j = e / 32, l = e % 32;
      int sc, mn;
      k4_scale_min(b + 4, j, sc, mn);
      const int v = (j % 2 == 0) ? (q[32 * (j / 2) + l] & 0xF) : (q[32 * (j / 2) + l] >> 4);
      *y = d * static_cast<float>(sc) * static_cast<float>(v) - dmin * static_cast<float>(mn);
    }
  }
}

// Q5_K (176 bytes / 256): as Q4_K plus qh[32] before qs[128]: bit j of qh[l] is the 5th bit of
// weight 32j + l.
void dequantize_q5_k(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 256; ++i, b += 176) {
    const float d = load_f16(b);
    const float dmin = load_f16(b + 2);
    const uint8_t* qh = b + 16;
    const uint8_t* q = b + 48;
    for (int e = 0; e < 256; ++e, ++y) {
      const int j = e / 32, l = e % 32;
      int sc, mn;
      k4_scale_min(b + 4, j, sc, mn);
      int v = (j % 2 == 0) ? (q[32 * (j / 2) + l] & 0xF) : (q[32 * (j / 2) + l] >> 4);
      v |= ((qh[l] >> j) & 1) << 4;
      *y = d * static_cast<float>(sc) * static_cast<float>(v) - dmin * static_cast<float>(mn);
    }
  }
}

// Q6_K (210 bytes / 256): ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] (int8, one
// per 16 weights), f16 d. Each 128 weights use 64 bytes of ql and 32 of qh: for l < 32,
// weights l, l+32, l+64, l+96 are (ql[l] low, ql[l+32] low, ql[l] high, ql[l+32] high) with
// high bits from qh[l] bits 0-1, 2-3, 4-5, 6-7. value = d * scale * (q - 32).
void dequantize_q6_k(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 256; ++i, b += 210) {
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
    const float d = load_f16(b + 208);
    for (int e = 0; e < 256; ++e, ++y) {
      const int half = e / 128, p = (e % 128) / 32, l = e % 32;
      const uint8_t lo = ql[64 * half + 32 * (p % 2) + l];
      const int low = (p < 2) ? (lo & 0xF) : (lo >> 4);
      const int high = (qh[32 * half + l] >> (2 * p)) & 3;
      *y = d * static_cast<float>(sc[e / 16]) * static_cast<float>((low | (high << 4)) - 32);
    }
  }
}

// Q8_K (292 bytes / 256): f32 d, 256 signed bytes, 16 int16 block sums; value = q * d.
void dequantize_q8_k(const uint8_t* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 256; ++i, b += 292, y += 256) {
    float d;
    std::memcpy(&d, b, 4);
    for (int j = 0; j < 256; ++j) y[j] = static_cast<float>(static_cast<int8_t>(b[4 + j])) * d;
  }
}

}  // namespace

bool can_dequantize(DType type) {
  switch (type) {
    case DType::F32: case DType::F16: case DType::BF16:
    case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1: case DType::Q8_0:
    case DType::Q2_K: case DType::Q3_K: case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
    case DType::Q8_K:
      return true;
    default:
      return false;
  }
}

void dequantize_row(DType type, const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const uint8_t*>(src);
  switch (type) {
    case DType::F32: std::memcpy(dst, src, static_cast<std::size_t>(n) * 4); return;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(load_u16(b + 2 * i));
      return;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(load_u16(b + 2 * i));
      return;
    case DType::Q4_0: dequantize_q4_0(b, dst, n); return;
    case DType::Q4_1: dequantize_q4_1(b, dst, n); return;
    case DType::Q5_0: dequantize_q5_0(b, dst, n); return;
    case DType::Q5_1: dequantize_q5_1(b, dst, n); return;
    case DType::Q8_0: dequantize_q8_0(b, dst, n); return;
    case DType::Q2_K: dequantize_q2_k(b, dst, n); return;
    case DType::Q3_K: dequantize_q3_k(b, dst, n); return;
    case DType::Q4_K: dequantize_q4_k(b, dst, n); return;
    case DType::Q5_K: dequantize_q5_k(b, dst, n); return;
    case DType::Q6_K: dequantize_q6_k(b, dst, n); return;
    case DType::Q8_K: dequantize_q8_k(b, dst, n); return;
    default:
      throw Error(std::string("cannot dequantize ") + std::string(dtype_name(type)));
  }
}

}  // namespace pgpp::kernels::quant
