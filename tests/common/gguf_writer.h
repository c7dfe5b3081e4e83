#pragma once
// Writes GGUF files for tests: small valid ones, forged broken ones, and synthetic models with
// random weights in real shapes. Our own utility, following the GGUF layout (little-endian).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pgpp::test {

class GgufWriter {
 public:
  // Metadata, in the order written.
  void add_u32(const std::string& key, uint32_t v);
  void add_i32(const std::string& key, int32_t v);
  void add_f32(const std::string& key, float v);
  void add_bool(const std::string& key, bool v);
  void add_string(const std::string& key, const std::string& v);
  void add_strings(const std::string& key, const std::vector<std::string>& v);
  void add_i32s(const std::string& key, const std::vector<int32_t>& v);
  void add_f32s(const std::string& key, const std::vector<float>& v);
  // A raw key/value: `type` is the GGUF value type id and `value` its encoded bytes.
  void add_raw(const std::string& key, uint32_t type, const std::string& value);

  // A tensor: dims in GGML order (ne[0] first), type a GGML type id, data its bytes (offset
  // assigned in order, aligned to 32).
  void add_tensor(const std::string& name, const std::vector<uint64_t>& dims, uint32_t type,
                  std::string data);

  // The whole file as bytes (version 3 unless told).
  std::string bytes(uint32_t version = 3) const;
  // Everything before the tensor data: metadata, tensor table, padding.
  std::string header(uint32_t version = 3) const;
  void write(const std::filesystem::path& path, uint32_t version = 3) const;

  // Encoders for building raw entries.
  static std::string encode_u32(uint32_t v);
  static std::string encode_u64(uint64_t v);
  static std::string encode_string(const std::string& s);

 private:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    uint32_t type;
    std::string data;
  };
  std::vector<std::string> kv_;  // encoded entries
  std::vector<Tensor> tensors_;
};

}  // namespace pgpp::test
