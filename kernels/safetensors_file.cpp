#include "kernels/safetensors_file.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "kernels/error.h"

namespace pgpp::kernels {

namespace {
bool dtype_from_name(const std::string& s, DType& out) {
  static const std::pair<const char*, DType> kNames[] = {
      {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"F64", DType::F64},
      {"I8", DType::I8},   {"I16", DType::I16}, {"I32", DType::I32},   {"I64", DType::I64},
  };
  for (const auto& [name, type] : kNames) {
    if (s == name) {
      out = type;
      return true;
    }
  }
  return false;
}
}  // namespace

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : file_(path) {
  const std::string name = file_.display_name();
  if (file_.size() < 8) throw Error(name + ": not a safetensors file (too short)");
  uint64_t header_len = 0;
  std::memcpy(&header_len, file_.data(), 8);
  if (header_len > file_.size() - 8 || header_len > (100u << 20)) {
    throw Error(name + ": not a safetensors file (header length " + std::to_string(header_len) +
                " exceeds the file)");
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(reinterpret_cast<const char*>(file_.data()) + 8,
                                   reinterpret_cast<const char*>(file_.data()) + 8 + header_len);
  } catch (const nlohmann::json::exception& e) {
    throw Error(name + ": not a safetensors file (its header is not valid JSON)");
  }
  if (!header.is_object()) throw Error(name + ": not a safetensors file (header is not an object)");

  const std::size_t data_start = 8 + header_len;
  const std::size_t data_size = file_.size() - data_start;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (it->is_object()) {
        for (auto m = it->begin(); m != it->end(); ++m) {
          if (m->is_string()) metadata_[m.key()] = m->get<std::string>();
        }
      }
      continue;
    }
    try {
      TensorView v;
      v.name = it.key();
      const auto dtype = it->at("dtype").get<std::string>();
      if (!dtype_from_name(dtype, v.type)) {
        throw Error(name + ": tensor " + v.name + " has unsupported dtype " + dtype);
      }
      const auto shape = it->at("shape").get<std::vector<int64_t>>();
      if (shape.size() > 4) throw Error(name + ": tensor " + v.name + " has more than 4 dimensions");
      v.n_dims = static_cast<int>(shape.size());
      int64_t elements = 1;
      for (std::size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] < 0) throw Error(name + ": tensor " + v.name + " has a negative dimension");
        v.ne[d] = shape[shape.size() - 1 - d];
        if (__builtin_mul_overflow(elements, shape[d], &elements) || elements > (1ll << 40)) {
          throw Error(name + ": tensor " + v.name + " has an impossible shape");
        }
      }
      const auto offsets = it->at("data_offsets").get<std::vector<uint64_t>>();
      if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size) {
        throw Error(name + ": tensor " + v.name + " lies beyond the end of the file");
      }
      v.nbytes = offsets[1] - offsets[0];
      if (v.nbytes != static_cast<std::size_t>(elements) * dtype_traits(v.type).block_bytes) {
        throw Error(name + ": tensor " + v.name + " has " + std::to_string(v.nbytes) +
                    " bytes, which does not match its shape");
      }
      v.data = file_.data() + data_start + offsets[0];
      index_.emplace(v.name, tensors_.size());
      tensors_.push_back(std::move(v));
    } catch (const nlohmann::json::exception&) {
      throw Error(name + ": tensor " + it.key() + " has a malformed header entry");
    }
  }
}

const TensorView* SafetensorsFile::find_tensor(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const TensorView& SafetensorsFile::tensor(std::string_view name) const {
  if (const auto* t = find_tensor(name)) return *t;
  throw Error(display_name() + ": tensor " + std::string(name) + " is missing");
}

}  // namespace pgpp::kernels
