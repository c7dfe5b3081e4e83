// Files a person may point us at that are not usable decoders: each gives an Error that names
// the file and says what is wrong. The GGUF files are written here, byte by byte per the spec.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "llm/llama_model.h"
#include "tests/common/test_models.h"

namespace pgpp::test {
namespace {

class GgufWriter {
 public:
  void kv_string(const std::string& key, const std::string& value) {
    str(key);
    u32(8);
    str(value);
    ++n_kv_;
  }
  void kv_u32(const std::string& key, uint32_t value) {
    str(key);
    u32(4);
    u32(value);
    ++n_kv_;
  }
  // An F32 tensor of zeros.
  void tensor(const std::string& name, std::vector<uint64_t> ne) {
    std::string& b = infos_;
    auto put = [&b](const void* p, std::size_t n) { b.append(static_cast<const char*>(p), n); };
    const uint64_t len = name.size();
    put(&len, 8);
    b += name;
    const uint32_t nd = static_cast<uint32_t>(ne.size());
    put(&nd, 4);
    uint64_t count = 1;
    for (uint64_t x : ne) {
      put(&x, 8);
      count *= x;
    }
    const uint32_t type = 0;
    put(&type, 4);
    const uint64_t offset = data_.size();
    put(&offset, 8);
    data_.resize(data_.size() + ((count * 4 + 31) / 32) * 32, '\0');
    ++n_tensors_;
  }
  std::filesystem::path write(const std::filesystem::path& dir, const std::string& name) const {
    std::string out = "GGUF";
    auto put = [&out](const void* p, std::size_t n) { out.append(static_cast<const char*>(p), n); };
    const uint32_t version = 3;
    put(&version, 4);
    put(&n_tensors_, 8);
    put(&n_kv_, 8);
    out += kv_;
    out += infos_;
    out.resize((out.size() + 31) / 32 * 32, '\0');
    out += data_;
    const auto path = dir / name;
    std::ofstream(path, std::ios::binary) << out;
    return path;
  }

 private:
  void u32(uint32_t v) { kv_.append(reinterpret_cast<const char*>(&v), 4); }
  void str(const std::string& s) {
    const uint64_t n = s.size();
    kv_.append(reinterpret_cast<const char*>(&n), 8);
    kv_ += s;
  }
  std::string kv_, infos_, data_;
  uint64_t n_kv_ = 0, n_tensors_ = 0;
};

void llama_header(GgufWriter& w) {
  w.kv_string("general.architecture", "llama");
  w.kv_u32("llama.embedding_length", 64);
  w.kv_u32("llama.block_count", 1);
  w.kv_u32("llama.attention.head_count", 4);
  w.kv_u32("llama.feed_forward_length", 128);
}

std::string load_error(const std::filesystem::path& path) {
  try {
    llm::LlamaModel::load(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(LlamaModelErrors, UnsupportedArchitectureIsNamed) {
  const auto dir = make_temp_dir("llm-arch");
  GgufWriter w;
  w.kv_string("general.architecture", "mamba");
  const std::string msg = load_error(w.write(dir, "mamba.gguf"));
  EXPECT_NE(msg.find("mamba.gguf"), std::string::npos) << msg;
  EXPECT_NE(msg.find("architecture 'mamba' is not supported"), std::string::npos) << msg;
  std::filesystem::remove_all(dir);
}

TEST(LlamaModelErrors, MissingTensorIsNamed) {
  const auto dir = make_temp_dir("llm-missing");
  GgufWriter w;
  llama_header(w);
  w.tensor("token_embd.weight", {64, 100});
  w.tensor("output_norm.weight", {64});
  const std::string msg = load_error(w.write(dir, "tiny.gguf"));
  EXPECT_NE(msg.find("tiny.gguf"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tensor blk.0.attn_norm.weight is missing"), std::string::npos) << msg;
  std::filesystem::remove_all(dir);
}

TEST(LlamaModelErrors, WrongShapeIsNamed) {
  const auto dir = make_temp_dir("llm-shape");
  GgufWriter w;
  llama_header(w);
  w.tensor("token_embd.weight", {64, 100});
  w.tensor("output_norm.weight", {32});
  const std::string msg = load_error(w.write(dir, "bad.gguf"));
  EXPECT_NE(msg.find("bad.gguf"), std::string::npos) << msg;
  EXPECT_NE(msg.find("output_norm.weight has shape"), std::string::npos) << msg;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgpp::test
