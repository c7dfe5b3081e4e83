#include "embed/encoder_facts.h"

#include <map>

#include "embed/json_file.h"
#include "kernels/error.h"
#include "kernels/safetensors_file.h"

namespace pgpp::embed {

bool is_encoder_folder(const std::filesystem::path& dir) {
  return std::filesystem::is_regular_file(dir / "config.json") &&
         std::filesystem::is_regular_file(dir / "model.safetensors");
}

EncoderFacts read_encoder_facts(const std::filesystem::path& dir) {
  if (!is_encoder_folder(dir)) {
    throw Error(dir.string() + ": not an encoder folder (config.json and model.safetensors expected)");
  }
  EncoderFacts f;
  f.name = dir.filename().string();
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
  int64_t most = -1;
  for (const auto& [type, n] : by_type) {
    if (n > most) {
      most = n;
      f.weights_type = type;
    }
  }
  return f;
}

}  // namespace pgpp::embed
