#pragma once
// The weight types the GPU kernels decode, and the switch that turns a run-time DType into a
// kernel instantiated for it (so each kernel's decode loop inlines one format's arithmetic).
// Plain C++ with no CUDA types: the checks run before anything reaches the GPU, so a CPU test
// (tests/kernels/cuda_weight_checks_test.cpp) verifies them on any machine.
#include <string>
#include <type_traits>

#include "kernels/dtype.h"
#include "kernels/error.h"
#include "kernels/quant/block_decode.h"

namespace pgpp::kernels::cuda {

// A type's name for messages, safe for ids this build does not know (dtype_name is not).
inline std::string type_name(DType type) {
  return dtype_name_of_id(static_cast<uint32_t>(type));
}

template <DType T>
using TypeTag = std::integral_constant<DType, T>;

// Calls fn(TypeTag<T>{}) for the weight's type; throws pgpp::Error naming `operation` and the
// type for one the GPU kernels cannot decode, before anything reaches the GPU.
template <class Fn>
void with_weight_type(DType type, const std::string& operation, Fn&& fn) {
  switch (type) {
    case DType::F32:
      fn(TypeTag<DType::F32>{});
      return;
    case DType::F16:
      fn(TypeTag<DType::F16>{});
      return;
    case DType::BF16:
      fn(TypeTag<DType::BF16>{});
      return;
    case DType::Q4_0:
      fn(TypeTag<DType::Q4_0>{});
      return;
    case DType::Q4_1:
      fn(TypeTag<DType::Q4_1>{});
      return;
    case DType::Q5_0:
      fn(TypeTag<DType::Q5_0>{});
      return;
    case DType::Q5_1:
      fn(TypeTag<DType::Q5_1>{});
      return;
    case DType::Q8_0:
      fn(TypeTag<DType::Q8_0>{});
      return;
    case DType::Q2_K:
      fn(TypeTag<DType::Q2_K>{});
      return;
    case DType::Q3_K:
      fn(TypeTag<DType::Q3_K>{});
      return;
    case DType::Q4_K:
      fn(TypeTag<DType::Q4_K>{});
      return;
    case DType::Q5_K:
      fn(TypeTag<DType::Q5_K>{});
      return;
    case DType::Q6_K:
      fn(TypeTag<DType::Q6_K>{});
      return;
    case DType::Q8_K:
      fn(TypeTag<DType::Q8_K>{});
      return;
    default:
      throw Error("CUDA " + operation + ": " + type_name(type) +
                  " weights are not supported on the GPU");
  }
}

// The shape checks every operation on a DeviceMatrix makes before launching: a known type,
// whole blocks per row, and row_bytes as the format says.
inline void check_matrix(DType type, int64_t cols, int64_t rows, std::size_t row_bytes_given,
                         const std::string& operation) {
  const auto layout = quant::block::layout_of(type);
  if (layout.weights == 0) {
    throw Error("CUDA " + operation + ": " + type_name(type) +
                " weights are not supported on the GPU");
  }
  if (cols <= 0 || rows < 0 || cols % layout.weights != 0) {
    throw Error("CUDA " + operation + ": a " + std::to_string(rows) + "x" + std::to_string(cols) +
                " " + std::string(dtype_name(type)) + " matrix is not made of whole blocks of " +
                std::to_string(layout.weights));
  }
  if (row_bytes_given != row_bytes(type, cols)) {
    throw Error("CUDA " + operation + ": rows of " + std::to_string(row_bytes_given) +
                " bytes, but " + std::to_string(cols) + " " + std::string(dtype_name(type)) +
                " weights take " + std::to_string(row_bytes(type, cols)));
  }
}

}  // namespace pgpp::kernels::cuda
