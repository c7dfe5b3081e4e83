// Broken and forged model files must be refused with an Error that names the file and the
// reason: never a crash, a hang or a huge allocation. Run under the asan preset too.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>

#include "kernels/error.h"
#include "kernels/gguf_file.h"
#include "kernels/safetensors_file.h"
#include "tests/common/gguf_writer.h"
#include "tests/common/test_models.h"

namespace pgpp::kernels {
namespace {

using test::GgufWriter;

constexpr uint32_t kF32 = 0, kQ4_0 = 2;

// A small valid file: one string key, an F32 [8, 2] tensor and a Q4_0 [32] tensor.
GgufWriter valid_writer() {
  GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_tensor("a", {8, 2}, kF32, std::string(64, '\x01'));
  w.add_tensor("b", {32}, kQ4_0, std::string(18, '\x02'));
  return w;
}

// The header as GgufWriter lays it out, for byte-level forgeries.
std::string header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
  return "GGUF" + GgufWriter::encode_u32(version) + GgufWriter::encode_u64(n_tensors) +
         GgufWriter::encode_u64(n_kv);
}

std::string tensor_info(const std::string& name, std::vector<uint64_t> dims, uint32_t type,
                        uint64_t offset) {
  std::string s = GgufWriter::encode_string(name) + GgufWriter::encode_u32(static_cast<uint32_t>(dims.size()));
  for (auto d : dims) s += GgufWriter::encode_u64(d);
  return s + GgufWriter::encode_u32(type) + GgufWriter::encode_u64(offset);
}

std::string pad_then(std::string s, const std::string& data) {
  s.append((32 - s.size() % 32) % 32, '\0');
  return s + data;
}

struct Case {
  std::string name;
  std::string bytes;
  std::string expected;  // a phrase the message must contain
};

std::vector<Case> gguf_cases() {
  const std::string valid = valid_writer().bytes();
  std::vector<Case> cases;
  for (std::size_t cut : {3u, 4u, 8u, 15u, 23u, 30u, 50u, 68u, 90u, 120u, 140u}) {
    cases.push_back({"truncated_at_" + std::to_string(cut), valid.substr(0, cut), ""});
  }
  cases.push_back({"truncated_in_data", valid.substr(0, valid.size() - 40), "beyond the end"});
  cases.push_back({"bad_magic", "GGUX" + valid.substr(4), "not a GGUF file"});
  cases.push_back({"version_1", valid_writer().bytes(1), "version 1"});
  cases.push_back({"version_99", valid_writer().bytes(99), "version 99"});
  cases.push_back({"huge_kv_count", header(0, 1ull << 40), "impossible count"});
  cases.push_back({"huge_tensor_count", header(1ull << 40, 0), "impossible count"});
  cases.push_back({"kv_count_beyond_entries", header(0, 1000000) + std::string(64, '\0'), ""});
  cases.push_back({"huge_string_length",
                   header(0, 1) + GgufWriter::encode_u64(1ull << 40) + "key", "string length"});
  {
    GgufWriter w;
    w.add_raw("tokens", 9, GgufWriter::encode_u32(8) + GgufWriter::encode_u64(1ull << 31));
    cases.push_back({"huge_array_count", w.bytes(), "ends early"});
  }
  {
    GgufWriter w;
    w.add_raw("odd", 77, "");
    cases.push_back({"unknown_value_type", w.bytes(), "unknown value type"});
  }
  {
    GgufWriter w;
    w.add_raw("nested", 9, GgufWriter::encode_u32(9) + GgufWriter::encode_u64(1));
    cases.push_back({"array_of_arrays", w.bytes(), "unsupported element type"});
  }
  {
    GgufWriter w;
    w.add_u32(std::string("bad\xff\xfe key"), 1);
    cases.push_back({"key_not_utf8", w.bytes(), "not valid UTF-8"});
  }
  {
    GgufWriter w;
    w.add_u32("", 1);
    cases.push_back({"empty_key", w.bytes(), "empty"});
  }
  {
    GgufWriter w;
    w.add_u32("general.alignment", 32);
    w.add_u32("general.alignment", 64);
    cases.push_back({"duplicate_key", w.bytes(), "twice"});
  }
  {
    GgufWriter w;
    w.add_u32("general.alignment", 24);
    cases.push_back({"alignment_not_power_of_two", w.bytes(), "power of two"});
  }
  auto one_tensor = [](const std::string& info, std::size_t data_bytes) {
    return pad_then(header(1, 0) + info, std::string(data_bytes, '\0'));
  };
  cases.push_back({"zero_dims", one_tensor(tensor_info("t", {}, kF32, 0), 32), "dimensions"});
  cases.push_back({"five_dims", one_tensor(tensor_info("t", {1, 1, 1, 1, 1}, kF32, 0), 32), "dimensions"});
  cases.push_back({"zero_dimension", one_tensor(tensor_info("t", {4, 0}, kF32, 0), 32), "impossible dimension"});
  cases.push_back({"elements_overflow",
                   one_tensor(tensor_info("t", {1ull << 39, 1ull << 39}, kF32, 0), 32), "impossible"});
  cases.push_back({"unsupported_iq2_xxs", one_tensor(tensor_info("t", {256}, 16, 0), 128), "type 16"});
  cases.push_back({"unknown_type_9999", one_tensor(tensor_info("t", {8}, 9999, 0), 32), "type 9999"});
  cases.push_back({"row_not_whole_blocks", one_tensor(tensor_info("t", {17}, kQ4_0, 0), 32), "block size"});
  cases.push_back({"offset_out_of_range", one_tensor(tensor_info("t", {8}, kF32, 1ull << 20), 32), "beyond the end"});
  cases.push_back({"offset_wraps_around", one_tensor(tensor_info("t", {8}, kF32, ~0ull - 31), 32), ""});
  cases.push_back({"offset_unaligned", one_tensor(tensor_info("t", {4}, kF32, 4), 64), "aligned"});
  cases.push_back({"tensor_name_not_utf8", one_tensor(tensor_info("t\xc3", {8}, kF32, 0), 32), "UTF-8"});
  cases.push_back({"duplicate_tensor",
                   pad_then(header(2, 0) + tensor_info("t", {8}, kF32, 0) + tensor_info("t", {8}, kF32, 32),
                            std::string(64, '\0')),
                   "twice"});
  cases.push_back({"overlapping_tensors",
                   pad_then(header(2, 0) + tensor_info("x", {16}, kF32, 0) + tensor_info("y", {8}, kF32, 32),
                            std::string(64, '\0')),
                   "overlap"});
  return cases;
}

class MalformedGguf : public ::testing::TestWithParam<Case> {};

TEST_P(MalformedGguf, IsRefusedWithTheFileNameAndAReason) {
  const auto& c = GetParam();
  const auto dir = test::make_temp_dir("malformed");
  const auto path = dir / (c.name + ".gguf");
  std::ofstream(path, std::ios::binary).write(c.bytes.data(), static_cast<std::streamsize>(c.bytes.size()));
  try {
    GgufFile f(path);
    ADD_FAILURE() << c.name << " was accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(c.name + ".gguf"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expected), std::string::npos) << msg;
  }
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Forged, MalformedGguf, ::testing::ValuesIn(gguf_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(MalformedGguf, TheValidBaseFileIsAccepted) {
  const auto dir = test::make_temp_dir("valid");
  valid_writer().write(dir / "ok.gguf");
  const GgufFile f(dir / "ok.gguf");
  EXPECT_EQ(f.tensors().size(), 2u);
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.tensor("b").nbytes, 18u);
  std::filesystem::remove_all(dir);
}

TEST(MalformedGguf, TheRealModelCutAtManyPointsIsAlwaysRefused) {
  const auto model = test::default_decoder();
  std::ifstream in(model, std::ios::binary);
  std::string head(2u << 20, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  const auto dir = test::make_temp_dir("cut");
  for (std::size_t cut = 1; cut < head.size(); cut = cut * 3 + 7) {
    const auto path = dir / "cut.gguf";
    std::ofstream(path, std::ios::binary).write(head.data(), static_cast<std::streamsize>(cut));
    EXPECT_THROW(GgufFile{path}, Error) << "cut at " << cut;
  }
  std::filesystem::remove_all(dir);
}

// --- safetensors --------------------------------------------------------------------------------

std::string safetensors_bytes(const std::string& header_json, const std::string& data,
                              std::optional<uint64_t> forged_length = std::nullopt) {
  const uint64_t n = forged_length.value_or(header_json.size());
  return GgufWriter::encode_u64(n) + header_json + data;
}

std::vector<Case> safetensors_cases() {
  const std::string data(64, '\0');
  return {
      {"too_short", "abc", "too short"},
      {"header_beyond_file", safetensors_bytes("{}", data, 1ull << 40), "exceeds the file"},
      {"header_not_json", safetensors_bytes("{nope", data), "not valid JSON"},
      {"header_not_object", safetensors_bytes("[1,2]", data), "not an object"},
      {"unknown_dtype", safetensors_bytes(R"({"w":{"dtype":"F8_E9","shape":[4],"data_offsets":[0,4]}})", data), "unsupported dtype"},
      {"offsets_beyond", safetensors_bytes(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,640]}})", data), "beyond the end"},
      {"offsets_reversed", safetensors_bytes(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}})", data), "beyond the end"},
      {"shape_mismatch", safetensors_bytes(R"({"w":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}})", data), "does not match"},
      {"five_dims", safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1,1,1,1,1],"data_offsets":[0,4]}})", data), "more than 4"},
      {"missing_fields", safetensors_bytes(R"({"w":{"dtype":"F32"}})", data), "malformed"},
      {"negative_dim", safetensors_bytes(R"({"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", data), ""},
  };
}

class MalformedSafetensors : public ::testing::TestWithParam<Case> {};

TEST_P(MalformedSafetensors, IsRefusedWithTheFileNameAndAReason) {
  const auto& c = GetParam();
  const auto dir = test::make_temp_dir("malformed-st");
  const auto path = dir / (c.name + ".safetensors");
  std::ofstream(path, std::ios::binary).write(c.bytes.data(), static_cast<std::streamsize>(c.bytes.size()));
  try {
    SafetensorsFile f(path);
    ADD_FAILURE() << c.name << " was accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(c.name + ".safetensors"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expected), std::string::npos) << msg;
  }
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Forged, MalformedSafetensors, ::testing::ValuesIn(safetensors_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace pgpp::kernels
