#pragma once
// Which SIMD code paths this CPU can run. Kernels are compiled for each level with function
// attributes and chosen at run time, so one binary runs on an AVX2 laptop and uses AVX-512
// VNNI on a server.
#include <optional>
#include <string>
#include <string_view>

namespace pgpp::kernels {

enum class SimdLevel { Scalar = 0, Avx2 = 1, Avx512 = 2 };

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  bool amx_tile = false;
  bool amx_int8 = false;
  bool amx_bf16 = false;

  // The best level every kernel may use here. Avx2 needs AVX2+FMA+F16C; Avx512 needs F, BW,
  // VL and VNNI.
  SimdLevel best_level() const;
  std::string describe() const;
};

CpuFeatures detect_cpu_features();

std::string_view simd_level_name(SimdLevel level);
std::optional<SimdLevel> parse_simd_level(std::string_view name);

// The level to use: the best the CPU has, lowered by the PGPP_SIMD environment variable
// (scalar|avx2|avx512), which tests and benchmarks use to force a path. Asking for more than
// the CPU has gives what it has.
SimdLevel default_simd_level();

}  // namespace pgpp::kernels
