#pragma once
// A GGUF model file (versions 2 and 3), memory-mapped: its metadata and its tensor table.
// Layout per the GGUF spec: "GGUF", u32 version, u64 tensor count, u64 metadata count, the
// key/value pairs, the tensor infos, padding to `general.alignment` (default 32), tensor data.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kernels/mapped_file.h"
#include "kernels/tensor_view.h"

namespace pgpp::kernels {

// One metadata value. Integers keep their sign; arrays of arrays are not used by any model we
// know of and are refused.
using GgufValue = std::variant<uint64_t, int64_t, double, bool, std::string,
                               std::vector<int64_t>, std::vector<double>,
                               std::vector<std::string>>;

class GgufFile {
 public:
  explicit GgufFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_.path(); }
  std::string display_name() const { return file_.display_name(); }
  uint32_t version() const { return version_; }
  std::size_t file_size() const { return file_.size(); }

  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  bool has(std::string_view key) const;
  const GgufValue* find(std::string_view key) const;

  // Typed look-ups. The plain forms throw an Error naming the file and the key when it is
  // missing or of another type; the *_or forms return the fallback when it is missing.
  std::string get_string(std::string_view key) const;
  std::string get_string_or(std::string_view key, std::string fallback) const;
  int64_t get_int(std::string_view key) const;
  int64_t get_int_or(std::string_view key, int64_t fallback) const;
  double get_float(std::string_view key) const;
  double get_float_or(std::string_view key, double fallback) const;
  bool get_bool_or(std::string_view key, bool fallback) const;
  const std::vector<std::string>& get_strings(std::string_view key) const;
  const std::vector<int64_t>& get_ints(std::string_view key) const;
  const std::vector<double>& get_floats(std::string_view key) const;

  const std::vector<TensorView>& tensors() const { return tensors_; }
  const TensorView* find_tensor(std::string_view name) const;
  // Throws an Error naming the file and the tensor when it is missing.
  const TensorView& tensor(std::string_view name) const;

  // Total parameter count (elements of all tensors).
  int64_t parameter_count() const;

 private:
  [[noreturn]] void fail(const std::string& reason) const;

  MappedFile file_;
  uint32_t version_ = 0;
  std::map<std::string, GgufValue> metadata_;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::size_t, std::less<>> tensor_index_;
};

// A one-line rendering of a value for `pgpp models` and logs (long arrays are summarised).
std::string to_display_string(const GgufValue& value, std::size_t max_chars = 80);

}  // namespace pgpp::kernels
