#include "kernels/cpu/matmul_float.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <functional>

#include "kernels/error.h"
#include "kernels/float16.h"
#include "kernels/quant/dequantize.h"

// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 intrinsics (they start from
// _mm512_undefined_ps); a known false positive, silenced for this file only.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace pgpp::kernels::cpu {

namespace {

constexpr int64_t kNr = kPanelRows;
// K block: one packed panel block is kKc x 32 floats = 32 KiB, which stays in L1/L2 while every
// token of the block passes over it.
constexpr int64_t kKc = 256;
// A task covers kPanelsPerTask panels (128 outputs) and kTokensPerTask tokens; the x rows of a
// task (128 x 256 floats = 128 KiB per K block) stay in L2.
constexpr int64_t kPanelsPerTask = 4;
constexpr int64_t kTokensPerTask = 128;
// Up to this many tokens the GEMV path (no packing) reads W once for all of them.
constexpr int64_t kGemvMaxTokens = 4;
// A GEMV chunk covers at least this many weights (512 KiB of F32): waking another thread costs
// more than a 384 x 384 product (~10 us) takes, measured on the 2-core VM.
constexpr int64_t kGemvMinChunkWeights = 1 << 17;

// ---- micro-kernels: c[MR][32] (+)= a[MR][kc] * panel[kc][32] --------------------------------

template <int MR>
void kernel_scalar(int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc,
                   bool accumulate) {
  float acc[MR][kNr];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < kNr; ++j) acc[i][j] = accumulate ? c[i * ldc + j] : 0.0f;
  for (int64_t k = 0; k < kc; ++k) {
    const float* bk = b + k * kNr;
    for (int i = 0; i < MR; ++i) {
      const float ai = a[i * lda + k];
      for (int j = 0; j < kNr; ++j) acc[i][j] += ai * bk[j];
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < kNr; ++j) c[i * ldc + j] = acc[i][j];
}

template <int MR>
__attribute__((target("avx2,fma"))) void kernel_avx2(int64_t kc, const float* a, int64_t lda,
                                                     const float* b, float* c, int64_t ldc,
                                                     bool accumulate) {
  // One 1-D array per column vector: with a 2-D array GCC 12 spills every accumulator each k.
  __m256 c0[MR], c1[MR], c2[MR], c3[MR];
  // Accumulators start at zero and C is added at the end: a conditional load here also makes
  // GCC keep the arrays in memory.
  for (int i = 0; i < MR; ++i) c0[i] = c1[i] = c2[i] = c3[i] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    // MR broadcasts held, one weight vector at a time (MR = 2: 8 + 2 + 1 ymm registers).
    const float* bk = b + k * kNr;
    __m256 ai[MR];
    for (int i = 0; i < MR; ++i) ai[i] = _mm256_broadcast_ss(a + i * lda + k);
    __m256 bj = _mm256_loadu_ps(bk);
    for (int i = 0; i < MR; ++i) c0[i] = _mm256_fmadd_ps(ai[i], bj, c0[i]);
    bj = _mm256_loadu_ps(bk + 8);
    for (int i = 0; i < MR; ++i) c1[i] = _mm256_fmadd_ps(ai[i], bj, c1[i]);
    bj = _mm256_loadu_ps(bk + 16);
    for (int i = 0; i < MR; ++i) c2[i] = _mm256_fmadd_ps(ai[i], bj, c2[i]);
    bj = _mm256_loadu_ps(bk + 24);
    for (int i = 0; i < MR; ++i) c3[i] = _mm256_fmadd_ps(ai[i], bj, c3[i]);
  }
  for (int i = 0; i < MR; ++i) {
    if (accumulate) {
      c0[i] = _mm256_add_ps(c0[i], _mm256_loadu_ps(c + i * ldc));
      c1[i] = _mm256_add_ps(c1[i], _mm256_loadu_ps(c + i * ldc + 8));
      c2[i] = _mm256_add_ps(c2[i], _mm256_loadu_ps(c + i * ldc + 16));
      c3[i] = _mm256_add_ps(c3[i], _mm256_loadu_ps(c + i * ldc + 24));
    }
    _mm256_storeu_ps(c + i * ldc, c0[i]);
    _mm256_storeu_ps(c + i * ldc + 8, c1[i]);
    _mm256_storeu_ps(c + i * ldc + 16, c2[i]);
    _mm256_storeu_ps(c + i * ldc + 24, c3[i]);
  }
}

template <int MR>
__attribute__((target("avx512f"))) void kernel_avx512(int64_t kc, const float* a, int64_t lda,
                                                      const float* b, float* c, int64_t ldc,
                                                      bool accumulate) {
  __m512 acc0[MR], acc1[MR];
  for (int i = 0; i < MR; ++i) {
    acc0[i] = accumulate ? _mm512_loadu_ps(c + i * ldc) : _mm512_setzero_ps();
    acc1[i] = accumulate ? _mm512_loadu_ps(c + i * ldc + 16) : _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b + k * kNr), b1 = _mm512_loadu_ps(b + k * kNr + 16);
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i * lda + k]);
      acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    _mm512_storeu_ps(c + i * ldc, acc0[i]);
    _mm512_storeu_ps(c + i * ldc + 16, acc1[i]);
  }
}

using Kernel = void (*)(int64_t, const float*, int64_t, const float*, float*, int64_t, bool);

// Kernels for 1..MR tokens of one SIMD level; index m-1.
struct KernelSet {
  int mr;
  Kernel k[8];
};

const KernelSet& kernels_for(SimdLevel level) {
  // AVX-512: 8 tokens x 32 outputs = 16 zmm accumulators. AVX2: 2 x 32 = 8 ymm accumulators
  // (3 x 32 measured no faster: GCC 12 spills at 16 live ymm). Scalar: the tile in plain C++.
  static const KernelSet avx512{8,
                                {kernel_avx512<1>, kernel_avx512<2>, kernel_avx512<3>, kernel_avx512<4>,
                                 kernel_avx512<5>, kernel_avx512<6>, kernel_avx512<7>, kernel_avx512<8>}};
  static const KernelSet avx2{2, {kernel_avx2<1>, kernel_avx2<2>}};
  static const KernelSet scalar{4, {kernel_scalar<1>, kernel_scalar<2>, kernel_scalar<3>, kernel_scalar<4>}};
  switch (level) {
    case SimdLevel::Avx512: return avx512;
    case SimdLevel::Avx2: return avx2;
    default: return scalar;
  }
}

// One task: panels [p0, p1) x tokens [t0, t1) of y = x * W^T, W packed as PackedWeight::data.
void gemm_task(const KernelSet& ks, const float* packed, int64_t rows, int64_t k_total, const float* x,
               int64_t ldx, int64_t p0, int64_t p1, int64_t t0, int64_t t1, float* y, int64_t ldy) {
  float edge[8 * kNr];
  for (int64_t k0 = 0; k0 < k_total; k0 += kKc) {
    const int64_t kc = std::min(kKc, k_total - k0);
    const bool accumulate = k0 > 0;
    for (int64_t p = p0; p < p1; ++p) {
      const float* panel = packed + p * k_total * kNr + k0 * kNr;
      const int64_t r0 = p * kNr;
      const int64_t nr = std::min(kNr, rows - r0);
      for (int64_t t = t0; t < t1; t += ks.mr) {
        const int64_t m = std::min<int64_t>(ks.mr, t1 - t);
        const float* a = x + t * ldx + k0;
        float* c = y + t * ldy + r0;
        const Kernel kernel = ks.k[m - 1];
        if (nr == kNr) {
          kernel(kc, a, ldx, panel, c, ldy, accumulate);
        } else {  // last panel: a full 32-wide tile in a buffer, the valid columns copied
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < kNr; ++j) edge[i * kNr + j] = (accumulate && j < nr) ? c[i * ldy + j] : 0.0f;
          kernel(kc, a, ldx, panel, edge, kNr, accumulate);
          for (int64_t i = 0; i < m; ++i) std::memcpy(c + i * ldy, edge + i * kNr, static_cast<std::size_t>(nr) * 4);
        }
      }
    }
  }
}

// ---- GEMV: few tokens, W streamed once ------------------------------------------------------

float dot_scalar(const float* a, const float* b, int64_t n) {
  double acc = 0;  // cheap here, and the path is the reference for the others
  for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(acc);
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  s0 = _mm256_add_ps(s0, s1);
  const __m128 h = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
  const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
  float r = _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)));
  for (; i < n; ++i) r += a[i] * b[i];
  return r;
}

__attribute__((target("avx512f"))) float dot_avx512(const float* a, const float* b, int64_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
  }
  if (i < n) {  // the tail under a mask, so any n works without a scalar loop
    for (; i < n; i += 16) {
      const __mmask16 mask = static_cast<__mmask16>(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
      s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i), s0);
    }
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

void gemv(CpuBackend& cpu, const TensorView& w, const float* x, int64_t n_tokens, float* y) {
  const int64_t k = w.ne[0], rows = w.rows();
  auto dot = cpu.simd() == SimdLevel::Avx512 ? dot_avx512 : cpu.simd() == SimdLevel::Avx2 ? dot_avx2 : dot_scalar;
  const std::function<void(int64_t, int64_t)> body = [&](int64_t r0, int64_t r1) {
    std::vector<float> row(w.type == DType::F32 ? 0 : static_cast<std::size_t>(k));
    for (int64_t r = r0; r < r1; ++r) {
      const float* wr = reinterpret_cast<const float*>(w.row(r));
      if (w.type != DType::F32) {
        quant::dequantize_row(w.type, w.row(r), row.data(), k);
        wr = row.data();
      }
      for (int64_t t = 0; t < n_tokens; ++t) y[t * rows + r] = dot(wr, x + t * k, k);
    }
  };
  if (rows * k <= 2 * kGemvMinChunkWeights) {
    body(0, rows);
  } else {
    cpu.pool().parallel_for(rows, body, std::max<int64_t>(16, kGemvMinChunkWeights / std::max<int64_t>(k, 1)));
  }
}

}  // namespace

PackedWeight pack_weight(CpuBackend& cpu, const TensorView& w) {
  if (w.type != DType::F32 && w.type != DType::F16 && w.type != DType::BF16) {
    throw Error("tensor " + w.name + ": packing needs F32, F16 or BF16 weights");
  }
  PackedWeight p;
  p.rows = w.rows();
  p.k = w.ne[0];
  const int64_t panels = (p.rows + kNr - 1) / kNr;
  p.data.assign(static_cast<std::size_t>(panels * kNr * p.k), 0.0f);
  cpu.pool().parallel_for(panels, [&](int64_t b, int64_t e) {
    std::vector<float> row(static_cast<std::size_t>(p.k));
    for (int64_t panel = b; panel < e; ++panel) {
      float* dst = p.data.data() + panel * p.k * kNr;
      for (int64_t j = 0; j < kNr && panel * kNr + j < p.rows; ++j) {
        quant::dequantize_row(w.type, w.row(panel * kNr + j), row.data(), p.k);
        for (int64_t i = 0; i < p.k; ++i) dst[i * kNr + j] = row[i];
      }
    }
  });
  return p;
}

void matmul_packed(CpuBackend& cpu, const PackedWeight& w, const float* x, int64_t n_tokens, float* y) {
  if (n_tokens <= 0 || w.rows == 0) return;
  const KernelSet& ks = kernels_for(cpu.simd());
  const int64_t panels = (w.rows + kNr - 1) / kNr;
  // Fewer, larger token blocks when there are few panels, so both threads get work.
  const int64_t panel_groups = (panels + kPanelsPerTask - 1) / kPanelsPerTask;
  // Token blocks small enough that every thread gets about four tasks, at most kTokensPerTask.
  const int64_t want_blocks = std::max<int64_t>(1, (cpu.threads() * 4 + panel_groups - 1) / panel_groups);
  int64_t block = std::clamp<int64_t>((n_tokens + want_blocks - 1) / want_blocks, ks.mr, kTokensPerTask);
  block = (block + ks.mr - 1) / ks.mr * ks.mr;
  const int64_t token_blocks = (n_tokens + block - 1) / block;
  const int64_t tasks = panel_groups * token_blocks;
  cpu.pool().parallel_for(tasks, [&](int64_t b, int64_t e) {
    for (int64_t task = b; task < e; ++task) {
      const int64_t tb = task / panel_groups, pg = task % panel_groups;
      const int64_t p0 = pg * kPanelsPerTask, p1 = std::min(panels, p0 + kPanelsPerTask);
      const int64_t t0 = tb * block, t1 = std::min(n_tokens, t0 + block);
      gemm_task(ks, w.data.data(), w.rows, w.k, x, w.k, p0, p1, t0, t1, y, w.rows);
    }
  });
}

std::size_t packed_size(int64_t rows, int64_t k) {
  return static_cast<std::size_t>((rows + kNr - 1) / kNr * kNr * k);
}

void pack_rows(const float* w, int64_t ld, int64_t rows, int64_t k, float* dst) {
  const int64_t panels = (rows + kNr - 1) / kNr;
  for (int64_t p = 0; p < panels; ++p) {
    float* d = dst + p * k * kNr;
    const int64_t nr = std::min(kNr, rows - p * kNr);
    for (int64_t i = 0; i < k; ++i) {
      for (int64_t j = 0; j < nr; ++j) d[i * kNr + j] = w[(p * kNr + j) * ld + i];
      for (int64_t j = nr; j < kNr; ++j) d[i * kNr + j] = 0.0f;
    }
  }
}

void pack_columns(const float* v, int64_t ld, int64_t rows, int64_t k, float* dst) {
  const int64_t panels = (rows + kNr - 1) / kNr;
  for (int64_t p = 0; p < panels; ++p) {
    float* d = dst + p * k * kNr;
    const int64_t nr = std::min(kNr, rows - p * kNr);
    for (int64_t i = 0; i < k; ++i) {
      std::memcpy(d + i * kNr, v + i * ld + p * kNr, static_cast<std::size_t>(nr) * 4);
      for (int64_t j = nr; j < kNr; ++j) d[i * kNr + j] = 0.0f;
    }
  }
}

void gemm_serial(SimdLevel level, const float* packed, int64_t rows, int64_t k, const float* x, int64_t ldx,
                 int64_t n_tokens, float* y, int64_t ldy) {
  if (n_tokens <= 0 || rows <= 0) return;
  gemm_task(kernels_for(level), packed, rows, k, x, ldx, 0, (rows + kNr - 1) / kNr, 0, n_tokens, y, ldy);
}

void matmul_float(CpuBackend& cpu, const TensorView& w, const float* x, int64_t n_tokens, float* y) {
  if (n_tokens <= kGemvMaxTokens) {
    gemv(cpu, w, x, n_tokens, y);
    return;
  }
  matmul_packed(cpu, pack_weight(cpu, w), x, n_tokens, y);
}

}  // namespace pgpp::kernels::cpu
