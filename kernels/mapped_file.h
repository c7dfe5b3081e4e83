#pragma once
// A read-only memory map of a whole file. Model weights are used in place from the map, so a
// 1 GB model costs no copy and pages in lazily.
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>

namespace pgpp::kernels {

class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }
  // The file name alone, as error messages show it.
  std::string display_name() const { return path_.filename().string(); }

 private:
  void release() noexcept;

  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace pgpp::kernels
