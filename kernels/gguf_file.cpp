#include "kernels/gguf_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "kernels/error.h"

namespace pgpp::kernels {

namespace {

enum class GgufType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7,
  String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12,
};

constexpr uint64_t kMaxStringBytes = 1ull << 30;
constexpr uint64_t kMaxCount = 1ull << 32;

// Reads little-endian fields from the mapped header, refusing to step past the end.
class Cursor {
 public:
  Cursor(const std::byte* begin, std::size_t size,
         std::string name)
      : p_(begin), end_(begin + size), begin_(begin), name_(std::move(name)) {}

  template <typename T>
  T read() {
    need(sizeof(T), "a number");
    T v;
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }

  std::string read_string() {
    const auto n = read<uint64_t>();
    if (n > kMaxStringBytes) fail("a string length of " + std::to_string(n) + " bytes");
    need(n, "a string");
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

  std::size_t offset() const { return static_cast<std::size_t>(p_ - begin_); }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(name_ + ": not a valid GGUF file (" + what + " at byte " +
                std::to_string(offset()) + ")");
  }

 private:
  void need(uint64_t n, const char* what) {
    if (n > static_cast<uint64_t>(end_ - p_)) {
      throw Error(name_ + ": the file ends early (truncated while reading " + what +
                  " at byte " + std::to_string(offset()) + ")");
    }
  }

  const std::byte* p_;
  const std::byte* end_;
  const std::byte* begin_;
  std::string name_;
};

int64_t read_integer(Cursor& c, GgufType t) {
  switch (t) {
    case GgufType::U8: return c.read<uint8_t>();
    case GgufType::I8: return c.read<int8_t>();
    case GgufType::U16: return c.read<uint16_t>();
    case GgufType::I16: return c.read<int16_t>();
    case GgufType::U32: return c.read<uint32_t>();
    case GgufType::I32: return c.read<int32_t>();
    case GgufType::I64: return c.read<int64_t>();
    case GgufType::U64: {
      const auto v = c.read<uint64_t>();
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) c.fail("an integer too large");
      return static_cast<int64_t>(v);
    }
    case GgufType::Bool: return c.read<uint8_t>() != 0;
    default: c.fail("an unexpected value type");
  }
}

// A count read from the file sizes a vector only as far as the bytes left could fill it, so a
// forged count of 2^32 entries cannot make us allocate gigabytes before failing.
std::size_t bounded_reserve(uint64_t count, std::size_t remaining, std::size_t min_bytes_each) {
  return static_cast<std::size_t>(std::min<uint64_t>(count, remaining / min_bytes_each));
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 4;
    if (extra == 4 || extra >= s.size() - i) return false;  // bad lead byte or cut short
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

bool is_integer(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::U16: case GgufType::I16:
    case GgufType::U32: case GgufType::I32: case GgufType::U64: case GgufType::I64:
    case GgufType::Bool:
      return true;
    default:
      return false;
  }
}

GgufValue read_value(Cursor& c, GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::U16: case GgufType::U32:
      return static_cast<uint64_t>(read_integer(c, t));
    case GgufType::U64: return c.read<uint64_t>();
    case GgufType::I8: case GgufType::I16: case GgufType::I32: case GgufType::I64:
      return read_integer(c, t);
    case GgufType::F32: return static_cast<double>(c.read<float>());
    case GgufType::F64: return c.read<double>();
    case GgufType::Bool: return c.read<uint8_t>() != 0;
    case GgufType::String: return c.read_string();
    case GgufType::Array: {
      const auto elem = static_cast<GgufType>(c.read<uint32_t>());
      const auto n = c.read<uint64_t>();
      if (n > kMaxCount) c.fail("an array of " + std::to_string(n) + " elements");
      if (elem == GgufType::String) {
        std::vector<std::string> v;
        v.reserve(bounded_reserve(n, c.remaining(), 8));
        for (uint64_t i = 0; i < n; ++i) v.push_back(c.read_string());
        return v;
      }
      if (elem == GgufType::F32 || elem == GgufType::F64) {
        std::vector<double> v;
        v.reserve(bounded_reserve(n, c.remaining(), 4));
        for (uint64_t i = 0; i < n; ++i) {
          v.push_back(elem == GgufType::F32 ? c.read<float>() : c.read<double>());
        }
        return v;
      }
      if (is_integer(elem)) {
        std::vector<int64_t> v;
        v.reserve(bounded_reserve(n, c.remaining(), 1));
        for (uint64_t i = 0; i < n; ++i) v.push_back(read_integer(c, elem));
        return v;
      }
      c.fail("an array of unsupported element type " + std::to_string(static_cast<uint32_t>(elem)));
    }
  }
  c.fail("an unknown value type " + std::to_string(static_cast<uint32_t>(t)));
}

}  // namespace

GgufFile::GgufFile(const std::filesystem::path& path) : file_(path) {
  const std::string name = file_.display_name();
  Cursor c(file_.data(), file_.size(), name);
  if (file_.size() < 4 || std::memcmp(file_.data(), "GGUF", 4) != 0) {
    throw Error(name + ": not a GGUF file (it does not start with \"GGUF\")");
  }
  c.read<uint32_t>();
  version_ = c.read<uint32_t>();
  if (version_ < 2 || version_ > 3) {
    throw Error(name + ": GGUF version " + std::to_string(version_) +
                " is not supported (versions 2 and 3 are)");
  }
  const auto n_tensors = c.read<uint64_t>();
  const auto n_kv = c.read<uint64_t>();
  if (n_tensors > kMaxCount || n_kv > kMaxCount) c.fail("an impossible count of entries");

  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.read_string();
    if (key.empty() || !is_valid_utf8(key)) c.fail("a metadata key that is empty or not valid UTF-8");
    if (metadata_.count(key)) c.fail("metadata key " + key + " appearing twice");
    const auto type = static_cast<GgufType>(c.read<uint32_t>());
    metadata_[key] = read_value(c, type);
  }

  uint64_t alignment = 32;
  if (auto* a = find("general.alignment")) {
    if (auto* u = std::get_if<uint64_t>(a)) alignment = *u;
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
      fail("general.alignment is " + std::to_string(alignment) + ", not a power of two");
    }
  }

  struct RawInfo {
    TensorView view;
    uint64_t offset;
  };
  std::vector<RawInfo> infos;
  infos.reserve(bounded_reserve(n_tensors, c.remaining(), 24));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    RawInfo info;
    info.view.name = c.read_string();
    if (info.view.name.empty() || !is_valid_utf8(info.view.name)) {
      c.fail("a tensor name that is empty or not valid UTF-8");
    }
    const auto n_dims = c.read<uint32_t>();
    if (n_dims == 0 || n_dims > 4) {
      fail("tensor " + info.view.name + " has " + std::to_string(n_dims) + " dimensions");
    }
    info.view.n_dims = static_cast<int>(n_dims);
    for (uint32_t d = 0; d < n_dims; ++d) {
      const auto n = c.read<uint64_t>();
      if (n == 0 || n > (1ull << 40)) {
        fail("tensor " + info.view.name + " has an impossible dimension " + std::to_string(n));
      }
      info.view.ne[d] = static_cast<int64_t>(n);
    }
    const auto type_id = c.read<uint32_t>();
    const auto traits = dtype_traits(type_id);
    if (!traits) {
      fail("tensor " + info.view.name + " uses quantization " + dtype_name_of_id(type_id) +
           ", which this version does not support");
    }
    info.view.type = static_cast<DType>(type_id);
    int64_t elements = 1;
    for (int d = 0; d < info.view.n_dims; ++d) {
      if (__builtin_mul_overflow(elements, info.view.ne[d], &elements) || elements > (1ll << 40)) {
        fail("tensor " + info.view.name + " has an impossible number of elements");
      }
    }
    if (info.view.ne[0] % traits->block_size != 0) {
      fail("tensor " + info.view.name + " has rows of " + std::to_string(info.view.ne[0]) +
           " elements, not a multiple of the " + std::string(traits->name) + " block size");
    }
    info.offset = c.read<uint64_t>();
    infos.push_back(std::move(info));
  }

  const uint64_t data_start = (c.offset() + alignment - 1) / alignment * alignment;
  for (auto& info : infos) {
    auto& v = info.view;
    v.nbytes = row_bytes(v.type, v.ne[0]) * static_cast<std::size_t>(v.rows());
    if (info.offset % alignment != 0) {
      fail("tensor " + v.name + " is not aligned to " + std::to_string(alignment) + " bytes");
    }
    const uint64_t begin = data_start + info.offset;
    if (begin < data_start || begin > file_.size() || v.nbytes > file_.size() - begin) {
      fail("tensor " + v.name + " lies beyond the end of the file (the file may be truncated)");
    }
    v.data = file_.data() + begin;
    if (tensor_index_.count(v.name)) fail("tensor " + v.name + " appears twice");
    tensor_index_.emplace(v.name, tensors_.size());
    tensors_.push_back(std::move(v));
  }

  // Tensors must not share bytes: overlapping ranges mean a forged or corrupt table.
  std::vector<const TensorView*> by_start;
  for (const auto& t : tensors_) by_start.push_back(&t);
  std::sort(by_start.begin(), by_start.end(),
            [](const TensorView* a, const TensorView* b) { return a->data < b->data; });
  for (std::size_t i = 1; i < by_start.size(); ++i) {
    if (by_start[i - 1]->data + by_start[i - 1]->nbytes > by_start[i]->data) {
      fail("tensors " + by_start[i - 1]->name + " and " + by_start[i]->name + " overlap");
    }
  }
}

void GgufFile::fail(const std::string& reason) const {
  throw Error(display_name() + ": " + reason);
}

bool GgufFile::has(std::string_view key) const { return find(key) != nullptr; }

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = metadata_.find(std::string(key));
  return it == metadata_.end() ? nullptr : &it->second;
}

std::string GgufFile::get_string(std::string_view key) const {
  const auto* v = find(key);
  if (!v) fail("metadata key " + std::string(key) + " is missing");
  if (auto* s = std::get_if<std::string>(v)) return *s;
  fail("metadata key " + std::string(key) + " is not a string");
}

std::string GgufFile::get_string_or(std::string_view key, std::string fallback) const {
  return has(key) ? get_string(key) : fallback;
}

int64_t GgufFile::get_int(std::string_view key) const {
  const auto* v = find(key);
  if (!v) fail("metadata key " + std::string(key) + " is missing");
  if (auto* i = std::get_if<int64_t>(v)) return *i;
  if (auto* u = std::get_if<uint64_t>(v)) {
    if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return static_cast<int64_t>(*u);
  }
  if (auto* b = std::get_if<bool>(v)) return *b;
  fail("metadata key " + std::string(key) + " is not an integer");
}

int64_t GgufFile::get_int_or(std::string_view key, int64_t fallback) const {
  return has(key) ? get_int(key) : fallback;
}

double GgufFile::get_float(std::string_view key) const {
  const auto* v = find(key);
  if (!v) fail("metadata key " + std::string(key) + " is missing");
  if (auto* d = std::get_if<double>(v)) return *d;
  if (std::holds_alternative<int64_t>(*v) || std::holds_alternative<uint64_t>(*v)) {
    return static_cast<double>(get_int(key));
  }
  fail("metadata key " + std::string(key) + " is not a number");
}

double GgufFile::get_float_or(std::string_view key, double fallback) const {
  return has(key) ? get_float(key) : fallback;
}

bool GgufFile::get_bool_or(std::string_view key, bool fallback) const {
  const auto* v = find(key);
  if (!v) return fallback;
  if (auto* b = std::get_if<bool>(v)) return *b;
  return get_int(key) != 0;
}

const std::vector<std::string>& GgufFile::get_strings(std::string_view key) const {
  const auto* v = find(key);
  if (!v) fail("metadata key " + std::string(key) + " is missing");
  if (auto* s = std::get_if<std::vector<std::string>>(v)) return *s;
  fail("metadata key " + std::string(key) + " is not an array of strings");
}

const std::vector<int64_t>& GgufFile::get_ints(std::string_view key) const {
  const auto* v = find(key);
  if (!v) fail("metadata key " + std::string(key) + " is missing");
  if (auto* s = std::get_if<std::vector<int64_t>>(v)) return *s;
  fail("metadata key " + std::string(key) + " is not an array of integers");
}

const std::vector<double>& GgufFile::get_floats(std::string_view key) const {
  const auto* v = find(key);
  if (!v) fail("metadata key " + std::string(key) + " is missing");
  if (auto* s = std::get_if<std::vector<double>>(v)) return *s;
  fail("metadata key " + std::string(key) + " is not an array of numbers");
}

const TensorView* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const TensorView& GgufFile::tensor(std::string_view name) const {
  if (const auto* t = find_tensor(name)) return *t;
  fail("tensor " + std::string(name) + " is missing");
}

int64_t GgufFile::parameter_count() const {
  int64_t n = 0;
  for (const auto& t : tensors_) n += t.elements();
  return n;
}

std::string to_display_string(const GgufValue& value, std::size_t max_chars) {
  std::string s = std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_arithmetic_v<T>) {
          return std::to_string(v);
        } else {
          return fmt::format("[{} items]", v.size());
        }
      },
      value);
  for (auto& ch : s) {
    if (ch == '\n') ch = ' ';
  }
  if (s.size() > max_chars) {
    s.resize(max_chars);
    s.append("...");
  }
  return s;
}

}  // namespace pgpp::kernels
