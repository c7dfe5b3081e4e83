#pragma once
// A read-only view of a tensor's bytes (usually inside a memory-mapped model file).
// Shape follows GGML's order: ne[0] is the length of a contiguous row, ne[1] the number of rows.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/dtype.h"

namespace pgpp::kernels {

struct TensorView {
  std::string name;
  DType type = DType::F32;
  int n_dims = 0;
  std::array<int64_t, 4> ne{1, 1, 1, 1};
  const std::byte* data = nullptr;
  std::size_t nbytes = 0;

  int64_t row_length() const { return ne[0]; }
  int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
  int64_t elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  std::size_t row_stride() const { return row_bytes(type, ne[0]); }
  const std::byte* row(int64_t i) const { return data + static_cast<std::size_t>(i) * row_stride(); }
  std::string shape_string() const;
};

}  // namespace pgpp::kernels
