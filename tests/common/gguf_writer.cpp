#include "tests/common/gguf_writer.h"

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace pgpp::test {

namespace {
template <typename T>
std::string raw(T v) {
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  return s;
}
constexpr uint32_t kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kString = 8, kArray = 9;
}  // namespace

std::string GgufWriter::encode_u32(uint32_t v) {
  return raw(v);
}
std::string GgufWriter::encode_u64(uint64_t v) {
  return raw(v);
}
std::string GgufWriter::encode_string(const std::string& s) {
  return raw<uint64_t>(s.size()) + s;
}

void GgufWriter::add_raw(const std::string& key, uint32_t type, const std::string& value) {
  kv_.push_back(encode_string(key) + raw(type) + value);
}
void GgufWriter::add_u32(const std::string& key, uint32_t v) {
  add_raw(key, kU32, raw(v));
}
void GgufWriter::add_i32(const std::string& key, int32_t v) {
  add_raw(key, kI32, raw(v));
}
void GgufWriter::add_f32(const std::string& key, float v) {
  add_raw(key, kF32, raw(v));
}
void GgufWriter::add_bool(const std::string& key, bool v) {
  add_raw(key, kBool, raw<uint8_t>(v));
}
void GgufWriter::add_string(const std::string& key, const std::string& v) {
  add_raw(key, kString, encode_string(v));
}
void GgufWriter::add_strings(const std::string& key, const std::vector<std::string>& v) {
  std::string s = raw(kString) + raw<uint64_t>(v.size());
  for (const auto& x : v) s += encode_string(x);
  add_raw(key, kArray, s);
}
void GgufWriter::add_i32s(const std::string& key, const std::vector<int32_t>& v) {
  std::string s = raw(kI32) + raw<uint64_t>(v.size());
  for (auto x : v) s += raw(x);
  add_raw(key, kArray, s);
}
void GgufWriter::add_f32s(const std::string& key, const std::vector<float>& v) {
  std::string s = raw(kF32) + raw<uint64_t>(v.size());
  for (auto x : v) s += raw(x);
  add_raw(key, kArray, s);
}

void GgufWriter::add_tensor(const std::string& name, const std::vector<uint64_t>& dims,
                            uint32_t type, std::string data) {
  tensors_.push_back({name, dims, type, std::move(data)});
}

std::string GgufWriter::header(uint32_t version) const {
  std::string out =
      "GGUF" + raw(version) + raw<uint64_t>(tensors_.size()) + raw<uint64_t>(kv_.size());
  for (const auto& e : kv_) out += e;
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    out += encode_string(t.name) + raw<uint32_t>(static_cast<uint32_t>(t.dims.size()));
    for (auto d : t.dims) out += raw(d);
    out += raw(t.type) + raw(offset);
    offset = (offset + t.data.size() + 31) / 32 * 32;
  }
  out.append((32 - out.size() % 32) % 32, '\0');
  return out;
}

std::string GgufWriter::bytes(uint32_t version) const {
  std::string out = header(version);
  for (const auto& t : tensors_) {
    out += t.data;
    out.append((32 - t.data.size() % 32) % 32, '\0');
  }
  return out;
}

// Streams the tensors' data instead of joining it into one string: synthetic models are
// hundreds of megabytes.
void GgufWriter::write(const std::filesystem::path& path, uint32_t version) const {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path.string() + ": cannot create");
  const std::string head = header(version);
  f.write(head.data(), static_cast<std::streamsize>(head.size()));
  const std::string zeros(32, '\0');
  for (const auto& t : tensors_) {
    f.write(t.data.data(), static_cast<std::streamsize>(t.data.size()));
    f.write(zeros.data(), static_cast<std::streamsize>((32 - t.data.size() % 32) % 32));
  }
  if (!f.flush()) throw std::runtime_error(path.string() + ": write failed");
}

}  // namespace pgpp::test
