#include "embed/encoder_facts.h"

#include <map>

#include "embed/bert_gguf.h"
#include "embed/json_file.h"
#include "kernels/error.h"
#include "kernels/gguf_file.h"
#include "kernels/safetensors_file.h"

namespace pgpp::embed {

namespace {
// The type that holds the most parameters; "none" when there are no tensors.
std::string most_common(const std::map<std::string, int64_t>& by_type) {
  std::string type = "none";
  int64_t most = -1;
  for (const auto& [t, n] : by_type) {
    if (n > most) {
      most = n;
      type = t;
    }
  }
  return type;
}
}  // namespace

bool is_encoder_folder(const std::filesystem::path& dir) {
  return std::filesystem::is_regular_file(dir / "config.json") &&
         std::filesystem::is_regular_file(dir / "model.safetensors");
}

bool is_encoder_gguf(const kernels::GgufFile& file) { return is_bert_gguf(file); }

EncoderFacts read_encoder_facts(const kernels::GgufFile& file) {
  const BertGgufHeader h = read_bert_gguf_header(file);
  EncoderFacts f;
  f.name = h.name;
  f.format = "GGUF";
  f.architecture = "bert";
  f.layers = h.config.layers;
  f.hidden = h.config.hidden;
  f.heads = h.config.heads;
  if (file.has("tokenizer.ggml.tokens")) {
    f.vocab_size = static_cast<int64_t>(file.get_strings("tokenizer.ggml.tokens").size());
  }
  f.max_tokens = h.config.max_positions;
  f.pooling = h.pooling_type == kGgufPoolingCls ? "cls" : h.pooling_given ? "mean" : "mean (assumed)";
  f.normalize = true;  // as the Encoder does for GGUF models
  std::map<std::string, int64_t> by_type;
  for (const auto& t : file.tensors()) {
    f.parameters += t.elements();
    by_type[std::string(kernels::dtype_name(t.type))] += t.elements();
  }
  f.weights_type = file.tensors().empty() ? "none (vocabulary only)" : most_common(by_type);
  return f;
}

EncoderFacts read_encoder_facts(const std::filesystem::path& dir) {
  if (std::filesystem::is_regular_file(dir)) return read_encoder_facts(kernels::GgufFile(dir));
  if (!is_encoder_folder(dir)) {
    throw Error(dir.string() + ": not an encoder folder (config.json and model.safetensors expected)");
  }
  EncoderFacts f;
  f.name = dir.filename().string();
  f.format = "sentence-transformers";
  const auto config = read_json_file(dir / "config.json");
  f.architecture = config.value("model_type", "unknown");
  f.layers = config.value("num_hidden_layers", 0);
  f.hidden = config.value("hidden_size", 0);
  f.heads = config.value("num_attention_heads", 0);
  f.vocab_size = config.value("vocab_size", 0);
  f.max_tokens = config.value("max_position_embeddings", 0);
  if (std::filesystem::exists(dir / "sentence_bert_config.json")) {
    f.max_tokens = read_json_file(dir / "sentence_bert_config.json").value("max_seq_length", f.max_tokens);
  }
  f.pooling = "mean";
  if (std::filesystem::exists(dir / "1_Pooling/config.json")) {
    const auto pooling = read_json_file(dir / "1_Pooling/config.json");
    if (pooling.value("pooling_mode_cls_token", false)) f.pooling = "cls";
  }
  if (std::filesystem::exists(dir / "modules.json")) {
    for (const auto& m : read_json_file(dir / "modules.json")) {
      if (m.value("type", "").find("Normalize") != std::string::npos) f.normalize = true;
    }
  }
  const kernels::SafetensorsFile weights(dir / "model.safetensors");
  std::map<std::string, int64_t> by_type;
  for (const auto& t : weights.tensors()) {
    f.parameters += t.elements();
    by_type[std::string(kernels::dtype_name(t.type))] += t.elements();
  }
  f.weights_type = most_common(by_type);
  return f;
}

}  // namespace pgpp::embed
