#include "kernels/gguf_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <vector>

#include "kernels/error.h"
#include "tests/common/test_models.h"

namespace pgpp::kernels {
namespace {

// Copies the first `n` bytes of `from` to `to` (to make truncated files).
void copy_prefix(const std::filesystem::path& from, const std::filesystem::path& to, std::size_t n) {
  std::ifstream in(from, std::ios::binary);
  std::vector<char> buf(n);
  in.read(buf.data(), static_cast<std::streamsize>(n));
  std::ofstream out(to, std::ios::binary);
  out.write(buf.data(), in.gcount());
}

std::string error_of(const std::filesystem::path& p) {
  try {
    GgufFile f(p);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(GgufFile, ReadsTheDefaultDecodersMetadataAndTensors) {
  const GgufFile f(test::default_decoder());
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_int("llama.block_count"), 30);
  EXPECT_EQ(f.get_int("llama.embedding_length"), 576);
  EXPECT_EQ(f.get_int("llama.attention.head_count_kv"), 3);
  EXPECT_NEAR(f.get_float("llama.rope.freq_base"), 100000.0, 1e-3);
  EXPECT_EQ(f.get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(f.get_strings("tokenizer.ggml.tokens").size(), 49152u);
  EXPECT_EQ(f.get_strings("tokenizer.ggml.merges").size(), 48900u);
  EXPECT_EQ(f.get_ints("tokenizer.ggml.token_type").size(), 49152u);
  EXPECT_NE(f.get_string("tokenizer.chat_template").find("<|im_start|>"), std::string::npos);

  EXPECT_EQ(f.tensors().size(), 272u);
  const auto& emb = f.tensor("token_embd.weight");
  EXPECT_EQ(emb.type, DType::Q8_0);
  EXPECT_EQ(emb.ne[0], 576);
  EXPECT_EQ(emb.ne[1], 49152);
  EXPECT_EQ(emb.nbytes, 576u / 32 * 34 * 49152);
  const auto& up = f.tensor("blk.0.ffn_up.weight");
  EXPECT_EQ(up.type, DType::Q4_1);
  EXPECT_EQ(up.ne[0], 576);
  EXPECT_EQ(up.ne[1], 1536);
  // Every tensor lies inside the file and the last one ends near its end.
  for (const auto& t : f.tensors()) {
    EXPECT_LE(t.nbytes, f.file_size()) << t.name;
  }
  // SmolLM2-135M: about 135 M parameters.
  EXPECT_NEAR(static_cast<double>(f.parameter_count()), 134.5e6, 1.0e6);
}

TEST(GgufFile, MissingKeysAndTensorsAreNamedInTheError) {
  const GgufFile f(test::default_decoder());
  EXPECT_EQ(f.get_int_or("llama.no_such_key", 7), 7);
  try {
    f.get_string("llama.no_such_key");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("llama.no_such_key"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(".gguf"), std::string::npos);
  }
  EXPECT_THROW(f.tensor("blk.99.ffn_up.weight"), Error);
  EXPECT_THROW(f.get_int("general.architecture"), Error);  // a string, not an integer
}

TEST(GgufFile, TruncatedFilesGiveAClearError) {
  const auto dir = test::make_temp_dir("gguf");
  const auto model = test::default_decoder();

  copy_prefix(model, dir / "header-cut.gguf", 200);
  const auto e1 = error_of(dir / "header-cut.gguf");
  EXPECT_NE(e1.find("header-cut.gguf"), std::string::npos) << e1;
  EXPECT_NE(e1.find("ends early"), std::string::npos) << e1;

  copy_prefix(model, dir / "data-cut.gguf", 8u << 20);
  const auto e2 = error_of(dir / "data-cut.gguf");
  EXPECT_NE(e2.find("data-cut.gguf"), std::string::npos) << e2;
  EXPECT_NE(e2.find("beyond the end of the file"), std::string::npos) << e2;
  std::filesystem::remove_all(dir);
}

TEST(GgufFile, NonGgufAndEmptyFilesAreRefused) {
  const auto dir = test::make_temp_dir("gguf");
  std::ofstream(dir / "notes.gguf") << "this is a text file, not a model";
  EXPECT_NE(error_of(dir / "notes.gguf").find("not a GGUF file"), std::string::npos);
  std::ofstream(dir / "empty.gguf");
  EXPECT_NE(error_of(dir / "empty.gguf").find("empty"), std::string::npos);
  EXPECT_NE(error_of(dir / "absent.gguf").find("cannot open"), std::string::npos);
  {
    std::ofstream out(dir / "future.gguf", std::ios::binary);
    const uint32_t version = 99;
    out.write("GGUF", 4);
    out.write(reinterpret_cast<const char*>(&version), 4);
    out.write(std::string(16, '\0').data(), 16);
  }
  EXPECT_NE(error_of(dir / "future.gguf").find("version 99"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgpp::kernels
