// pgpp_bert_to_gguf: writes a sentence-transformers BERT folder as a GGUF encoder (F32, F16 or
// Q8_0 matrices), e.g. to carry the default encoder to a GPU machine in half the bytes.
//
//   pgpp_bert_to_gguf FOLDER f16 OUT.gguf
#include <cstdio>
#include <exception>
#include <string>

#include "tests/common/bert_gguf_converter.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s FOLDER f32|f16|q8_0 OUT.gguf\n", argv[0]);
    return 2;
  }
  const std::string type = argv[2];
  pgpp::test::BertGgufOptions options;
  if (type == "f32")
    options.matrices = pgpp::kernels::DType::F32;
  else if (type == "f16")
    options.matrices = pgpp::kernels::DType::F16;
  else if (type == "q8_0")
    options.matrices = pgpp::kernels::DType::Q8_0;
  else {
    std::fprintf(stderr, "unknown type '%s' (f32, f16 or q8_0)\n", argv[2]);
    return 2;
  }
  try {
    pgpp::test::write_bert_gguf(argv[1], argv[3], options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
