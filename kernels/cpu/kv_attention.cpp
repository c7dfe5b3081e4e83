#include "kernels/cpu/kv_attention.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/cpu/simd_math.h"
#include "kernels/error.h"
#include "kernels/float16.h"

namespace pgpp::kernels::cpu {

namespace {

// The three inner loops of one head: scores = q . k_j, softmax in place, out = sum p_j v_j.
struct HeadOps {
  float (*dot)(const float* q, const uint16_t* k, int64_t n);
  float (*exp_sub_sum)(float* s, int64_t n, float max);  // s = exp(s - max), returns the sum
  void (*axpy)(float a, const uint16_t* v, float* out, int64_t n);
};

float dot_scalar(const float* q, const uint16_t* k, int64_t n) {
  float acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += q[i] * fp16_to_fp32(k[i]);
  return acc;
}
float exp_sub_sum_scalar(float* s, int64_t n, float max) {
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    s[i] = std::exp(s[i] - max);
    sum += s[i];
  }
  return sum;
}
void axpy_scalar(float a, const uint16_t* v, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] += a * fp16_to_fp32(v[i]);
}

// The AVX2 and AVX-512 loops share one body (kv_attention_x86.inc), compiled once per width,
// each copy under its own target so that no AVX-512 instruction reaches the AVX2 path.
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
namespace avx2 {
struct W {
  using V = __m256;
  static constexpr int kLanes = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V load_half(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V exp(V x) { return detail::exp256(x); }
  static float sum(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_hadd_ps(s, s);
    s = _mm_hadd_ps(s, s);
    return _mm_cvtss_f32(s);
  }
};
#include "kernels/cpu/kv_attention_x86.inc"
}  // namespace avx2
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f")
namespace avx512 {
struct W {
  using V = __m512;
  static constexpr int kLanes = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V load_half(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V exp(V x) { return detail::exp512(x); }
  static float sum(V v) { return _mm512_reduce_add_ps(v); }
};
#include "kernels/cpu/kv_attention_x86.inc"
}  // namespace avx512
#pragma GCC pop_options

HeadOps ops_for(SimdLevel level) {
  switch (level) {
    case SimdLevel::Avx512:
      return {avx512::dot, avx512::exp_sub_sum, avx512::axpy};
    case SimdLevel::Avx2:
      return {avx2::dot, avx2::exp_sub_sum, avx2::axpy};
    case SimdLevel::Scalar:
      break;
  }
  return {dot_scalar, exp_sub_sum_scalar, axpy_scalar};
}

}  // namespace

void kv_attention(CpuBackend& cpu, const AttentionShape& shape, const float* q, int64_t n_tokens,
                  int64_t first_pos, const uint16_t* k, const uint16_t* v, int64_t row_stride,
                  float scale, float* out) {
  const int64_t nh = shape.n_heads;
  const int64_t nkv = shape.n_kv_heads;
  const int64_t hd = shape.head_dim;
  if (nkv <= 0 || nh % nkv != 0 || row_stride < nkv * hd) {
    throw Error("attention: " + std::to_string(nh) + " query heads cannot share " +
                std::to_string(nkv) + " key/value heads of size " + std::to_string(hd));
  }
  const int64_t group = nh / nkv;
  const HeadOps ops = ops_for(cpu.simd());
  // One work item is a token and a KV head with all the query heads that share it, so each
  // cached key/value row is read once for the whole group.
  // A decode step over a short context is a few thousand multiply-adds per KV head: less than a
  // hand-off to the pool costs, so it stays on the calling thread until the context grows.
  constexpr int64_t kMinWorkPerTask = 32768;  // multiply-adds
  const int64_t work_per_item = std::max<int64_t>(1, (first_pos + n_tokens) * group * hd * 2);
  const int64_t min_items = std::max<int64_t>(1, kMinWorkPerTask / work_per_item);
  cpu.pool().parallel_for(
      n_tokens * nkv,
      [&](int64_t i0, int64_t i1) {
        const auto n_max = static_cast<std::size_t>(first_pos + n_tokens);
        std::vector<float> scores(n_max * static_cast<std::size_t>(group));
        std::vector<float> maxes(static_cast<std::size_t>(group));
        for (int64_t i = i0; i < i1; ++i) {
          const int64_t t = i / nkv;
          const int64_t g = i % nkv;
          const int64_t n_keys = first_pos + t + 1;
          const float* qg = q + (t * nh + g * group) * hd;
          std::fill(maxes.begin(), maxes.end(), -INFINITY);
          for (int64_t j = 0; j < n_keys; ++j) {
            const uint16_t* kj = k + j * row_stride + g * hd;
            for (int64_t h = 0; h < group; ++h) {
              const float s = ops.dot(qg + h * hd, kj, hd) * scale;
              scores[static_cast<std::size_t>(h * n_keys + j)] = s;
              maxes[static_cast<std::size_t>(h)] = std::max(maxes[static_cast<std::size_t>(h)], s);
            }
          }
          float* og = out + (t * nh + g * group) * hd;
          std::fill(og, og + group * hd, 0.0f);
          for (int64_t h = 0; h < group; ++h) {
            float* sh = scores.data() + h * n_keys;
            const float inv =
                1.0f / ops.exp_sub_sum(sh, n_keys, maxes[static_cast<std::size_t>(h)]);
            for (int64_t j = 0; j < n_keys; ++j) sh[j] *= inv;
          }
          for (int64_t j = 0; j < n_keys; ++j) {
            const uint16_t* vj = v + j * row_stride + g * hd;
            for (int64_t h = 0; h < group; ++h)
              ops.axpy(scores[static_cast<std::size_t>(h * n_keys + j)], vj, og + h * hd, hd);
          }
        }
      },
      min_items);
}

}  // namespace pgpp::kernels::cpu
