// Files whose tokenizer we cannot use give an Error that names the file and the thing.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <fstream>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "kernels/gguf_file.h"
#include "llm/chat_template.h"
#include "llm/tokenizer.h"
#include "tests/common/test_models.h"

namespace pgpp::llm {
namespace {

// Writes a GGUF v3 file with no tensors and the given string / string-array metadata, per the
// GGUF spec (type 8 = string, 9 = array).
class GgufWriter {
 public:
  void add_string(const std::string& key, const std::string& value) {
    key_(key);
    u32(8);
    str(value);
    ++count_;
  }
  void add_strings(const std::string& key, const std::vector<std::string>& values) {
    key_(key);
    u32(9);
    u32(8);
    u64(values.size());
    for (const auto& v : values) str(v);
    ++count_;
  }
  void write(const std::filesystem::path& path) const {
    std::string head = "GGUF";
    auto put = [&head](uint64_t v, int bytes) {
      for (int i = 0; i < bytes; ++i) head += static_cast<char>((v >> (8 * i)) & 0xFF);
    };
    put(3, 4);
    put(0, 8);
    put(count_, 8);
    std::ofstream out(path, std::ios::binary);
    out << head << body_;
  }

 private:
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) body_ += static_cast<char>((v >> (8 * i)) & 0xFF);
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) body_ += static_cast<char>((v >> (8 * i)) & 0xFF);
  }
  void str(const std::string& s) {
    u64(s.size());
    body_ += s;
  }
  void key_(const std::string& k) { str(k); }
  std::string body_;
  uint64_t count_ = 0;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TokenizerErrors, UnknownTokenizerModelNamesTheFileAndTheModel) {
  const auto dir = test::make_temp_dir("tok");
  GgufWriter w;
  w.add_string("general.architecture", "rwkv");
  w.add_string("tokenizer.ggml.model", "rwkv");
  w.add_strings("tokenizer.ggml.tokens", {"a", "b"});
  w.write(dir / "odd.gguf");
  const kernels::GgufFile file(dir / "odd.gguf");
  const std::string msg = error_of([&] { Tokenizer::from_gguf(file); });
  EXPECT_NE(msg.find("odd.gguf"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'rwkv'"), std::string::npos) << msg;
  std::filesystem::remove_all(dir);
}

TEST(TokenizerErrors, UnknownPreTokenizerNamesTheFileAndThePreTokenizer) {
  const auto dir = test::make_temp_dir("tok");
  GgufWriter w;
  w.add_string("tokenizer.ggml.model", "gpt2");
  w.add_string("tokenizer.ggml.pre", "tekken");
  w.add_strings("tokenizer.ggml.tokens", {"a", "b", "ab"});
  w.add_strings("tokenizer.ggml.merges", {"a b"});
  w.write(dir / "tekken.gguf");
  const kernels::GgufFile file(dir / "tekken.gguf");
  const std::string msg = error_of([&] { Tokenizer::from_gguf(file); });
  EXPECT_NE(msg.find("tekken.gguf"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'tekken'"), std::string::npos) << msg;
  std::filesystem::remove_all(dir);
}

TEST(TokenizerErrors, MissingOrUnknownChatTemplateNamesTheFile) {
  const auto dir = test::make_temp_dir("tok");
  {
    GgufWriter w;
    w.add_string("tokenizer.ggml.model", "gpt2");
    w.write(dir / "none.gguf");
    const kernels::GgufFile file(dir / "none.gguf");
    const std::string msg = error_of([&] { ChatTemplate::from_gguf(file); });
    EXPECT_NE(msg.find("none.gguf"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--chat-template"), std::string::npos) << msg;
  }
  {
    GgufWriter w;
    w.add_string("tokenizer.chat_template", "{{ messages[0]['content'] }} <|user|>");
    w.write(dir / "odd.gguf");
    const kernels::GgufFile file(dir / "odd.gguf");
    const std::string msg = error_of([&] { ChatTemplate::from_gguf(file); });
    EXPECT_NE(msg.find("odd.gguf"), std::string::npos) << msg;
    EXPECT_NE(msg.find("{{ messages[0]['content'] }} <|user|>"), std::string::npos) << msg;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgpp::llm
