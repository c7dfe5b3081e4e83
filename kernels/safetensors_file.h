#pragma once
// A safetensors file, memory-mapped: u64 header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the raw little-endian data.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/mapped_file.h"
#include "kernels/tensor_view.h"

namespace pgpp::kernels {

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);

  std::string display_name() const { return file_.display_name(); }
  const std::filesystem::path& path() const { return file_.path(); }
  // Views use GGML's dimension order (ne[0] = last, contiguous dimension of the file's shape).
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const TensorView* find_tensor(std::string_view name) const;
  const TensorView& tensor(std::string_view name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  MappedFile file_;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace pgpp::kernels
