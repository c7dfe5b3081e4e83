#include "llm/decoder_facts.h"

namespace pgpp::llm {

DecoderFacts read_decoder_facts(const kernels::GgufFile& file) {
  DecoderFacts f;
  f.architecture = file.get_string_or("general.architecture", "unknown");
  f.name = file.get_string_or("general.name", file.display_name());
  const std::string a = f.architecture + ".";
  f.context_length = file.get_int_or(a + "context_length", 0);
  f.layers = file.get_int_or(a + "block_count", 0);
  f.embedding = file.get_int_or(a + "embedding_length", 0);
  f.heads = file.get_int_or(a + "attention.head_count", 0);
  f.kv_heads = file.get_int_or(a + "attention.head_count_kv", f.heads);
  f.tokenizer = file.get_string_or("tokenizer.ggml.model", "");
  f.pre_tokenizer = file.get_string_or("tokenizer.ggml.pre", "");
  if (file.has("tokenizer.ggml.tokens")) {
    f.vocab_size = static_cast<int64_t>(file.get_strings("tokenizer.ggml.tokens").size());
  }
  f.has_chat_template = file.has("tokenizer.chat_template");
  f.parameters = file.parameter_count();
  for (const auto& t : file.tensors()) ++f.tensor_types[std::string(kernels::dtype_name(t.type))];
  f.file_bytes = file.file_size();
  return f;
}

}  // namespace pgpp::llm
