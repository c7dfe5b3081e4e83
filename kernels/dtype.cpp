#include "kernels/dtype.h"

#include <string>

namespace pgpp::kernels {

namespace {
// Block layouts per the GGML/GGUF quantization formats: e.g. Q4_0 is one f16 scale + 32 4-bit
// values = 18 bytes; Q4_K is a 256-weight super-block of 144 bytes.
constexpr struct {
  DType type;
  DTypeTraits traits;
} kTable[] = {
    {DType::F32, {"F32", 1, 4, false}},       {DType::F16, {"F16", 1, 2, false}},
    {DType::BF16, {"BF16", 1, 2, false}},     {DType::F64, {"F64", 1, 8, false}},
    {DType::I8, {"I8", 1, 1, false}},         {DType::I16, {"I16", 1, 2, false}},
    {DType::I32, {"I32", 1, 4, false}},       {DType::I64, {"I64", 1, 8, false}},
    {DType::Q4_0, {"Q4_0", 32, 18, true}},    {DType::Q4_1, {"Q4_1", 32, 20, true}},
    {DType::Q5_0, {"Q5_0", 32, 22, true}},    {DType::Q5_1, {"Q5_1", 32, 24, true}},
    {DType::Q8_0, {"Q8_0", 32, 34, true}},    {DType::Q8_1, {"Q8_1", 32, 36, true}},
    {DType::Q2_K, {"Q2_K", 256, 84, true}},   {DType::Q3_K, {"Q3_K", 256, 110, true}},
    {DType::Q4_K, {"Q4_K", 256, 144, true}},  {DType::Q5_K, {"Q5_K", 256, 176, true}},
    {DType::Q6_K, {"Q6_K", 256, 210, true}},  {DType::Q8_K, {"Q8_K", 256, 292, true}},
};
}  // namespace

std::optional<DTypeTraits> dtype_traits(uint32_t id) {
  for (const auto& row : kTable) {
    if (static_cast<uint32_t>(row.type) == id) return row.traits;
  }
  return std::nullopt;
}

DTypeTraits dtype_traits(DType type) { return *dtype_traits(static_cast<uint32_t>(type)); }

std::string_view dtype_name(DType type) { return dtype_traits(type).name; }

std::string dtype_name_of_id(uint32_t id) {
  if (auto t = dtype_traits(id)) return std::string(t->name);
  return "type " + std::to_string(id);
}

std::size_t row_bytes(DType type, int64_t n) {
  const auto t = dtype_traits(type);
  return static_cast<std::size_t>(n / t.block_size) * static_cast<std::size_t>(t.block_bytes);
}

}  // namespace pgpp::kernels
