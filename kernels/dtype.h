#pragma once
// Element types of tensors as stored in model files. The numeric values are GGML's type ids,
// the ones a GGUF file writes in its tensor table.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pgpp::kernels {

enum class DType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
};

struct DTypeTraits {
  std::string_view name;
  int block_size;    // elements per block (1 for plain types)
  int block_bytes;   // bytes per block
  bool quantized;
};

// Traits of a known type; nullopt for ids this build does not know (e.g. IQ2_XXS).
std::optional<DTypeTraits> dtype_traits(uint32_t id);
DTypeTraits dtype_traits(DType type);
std::string_view dtype_name(DType type);
// The name for any id, known or not ("type 16" for unknown ones), for error messages.
std::string dtype_name_of_id(uint32_t id);

// Bytes taken by one row of n elements; n must be a multiple of the block size.
std::size_t row_bytes(DType type, int64_t n);

}  // namespace pgpp::kernels
