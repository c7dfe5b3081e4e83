#include "tests/common/bert_gguf_converter.h"

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "kernels/float16.h"
#include "kernels/matmul.h"
#include "kernels/quant/quantize.h"
#include "kernels/safetensors_file.h"
#include "tests/common/gguf_writer.h"

namespace pgpp::test {

namespace {

nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error(p.string() + ": cannot open");
  return nlohmann::json::parse(in);
}

// GGUF general.file_type values (llama.cpp's LlamaFileType) for the matrix types we write.
uint32_t file_type(kernels::DType t) {
  switch (t) {
    case kernels::DType::F32:
      return 0;
    case kernels::DType::F16:
      return 1;
    case kernels::DType::Q8_0:
      return 7;
    default:
      throw std::runtime_error("write_bert_gguf: matrices must be F32, F16 or Q8_0");
  }
}

// Rows of floats encoded as `type` (GGUF data layout: rows of ne0 elements, end to end).
std::string encode(const std::vector<float>& x, int64_t ne0, kernels::DType type) {
  const int64_t rows = static_cast<int64_t>(x.size()) / ne0;
  std::string out;
  if (type == kernels::DType::F32) {
    out.resize(x.size() * 4);
    std::memcpy(out.data(), x.data(), out.size());
  } else if (type == kernels::DType::F16) {
    out.resize(x.size() * 2);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const uint16_t h = kernels::fp32_to_fp16(x[i]);
      std::memcpy(out.data() + 2 * i, &h, 2);
    }
  } else {
    const std::size_t row_bytes = kernels::row_bytes(type, ne0);
    out.resize(static_cast<std::size_t>(rows) * row_bytes);
    for (int64_t r = 0; r < rows; ++r)
      kernels::quant::quantize_row_q8_0(x.data() + r * ne0, out.data() + r * row_bytes, ne0);
  }
  return out;
}

// The Hugging Face name of each GGUF tensor part (llama.cpp's tensor_mapping for BERT).
struct Mapping {
  const char* hf;
  const char* gguf;
};
constexpr Mapping kEmbeddings[] = {
    {"embeddings.word_embeddings", "token_embd"},
    {"embeddings.position_embeddings", "position_embd"},
    {"embeddings.token_type_embeddings", "token_types"},
    {"embeddings.LayerNorm", "token_embd_norm"},
};
constexpr Mapping kLayer[] = {
    {"attention.self.query", "attn_q"},
    {"attention.self.key", "attn_k"},
    {"attention.self.value", "attn_v"},
    {"attention.output.dense", "attn_output"},
    {"attention.output.LayerNorm", "attn_output_norm"},
    {"intermediate.dense", "ffn_up"},
    {"output.dense", "ffn_down"},
    {"output.LayerNorm", "layer_output_norm"},
};

}  // namespace

void write_bert_gguf(const std::filesystem::path& folder, const std::filesystem::path& out,
                     const BertGgufOptions& o) {
  const auto config = read_json(folder / "config.json");
  GgufWriter w;
  w.add_string("general.architecture", o.architecture);
  w.add_string("general.name", folder.filename().string());
  w.add_u32("general.file_type", file_type(o.matrices));
  const std::string a = o.architecture + ".";
  w.add_u32(a + "block_count", config.at("num_hidden_layers").get<uint32_t>());
  w.add_u32(a + "context_length", config.at("max_position_embeddings").get<uint32_t>());
  w.add_u32(a + "embedding_length", config.at("hidden_size").get<uint32_t>());
  w.add_u32(a + "feed_forward_length", config.at("intermediate_size").get<uint32_t>());
  w.add_u32(a + "attention.head_count", config.at("num_attention_heads").get<uint32_t>());
  w.add_f32(a + "attention.layer_norm_epsilon", config.value("layer_norm_eps", 1e-12f));
  w.add_bool(a + "attention.causal", false);
  if (o.write_pooling_type) {
    int64_t pooling = 1;
    if (std::filesystem::exists(folder / "1_Pooling/config.json") &&
        read_json(folder / "1_Pooling/config.json").value("pooling_mode_cls_token", false)) {
      pooling = 2;
    }
    w.add_u32(a + "pooling_type", static_cast<uint32_t>(o.pooling_type.value_or(pooling)));
  }
  w.add_u32("tokenizer.ggml.token_type_count", config.value("type_vocab_size", 2u));

  // Vocabulary: vocab.txt's order gives the ids; tokenizer.json's special added tokens are
  // control tokens (type 3), the rest normal (1). Pieces take llama.cpp's phantom-space form.
  std::vector<std::string> vocab;
  {
    std::ifstream in(folder / "vocab.txt");
    if (!in) throw std::runtime_error((folder / "vocab.txt").string() + ": cannot open");
    for (std::string line; std::getline(in, line);) vocab.push_back(line);
  }
  std::vector<int32_t> types(vocab.size(), 1);
  if (std::filesystem::exists(folder / "tokenizer.json")) {
    for (const auto& t :
         read_json(folder / "tokenizer.json").value("added_tokens", nlohmann::json::array())) {
      if (t.value("special", false)) types.at(t.at("id").get<std::size_t>()) = 3;
    }
  }
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < vocab.size(); ++i) {
    const std::string& v = vocab[i];
    tokens.push_back(types[i] == 3 ? v : v.starts_with("##") ? v.substr(2) : "\xE2\x96\x81" + v);
  }
  auto id_of = [&](const std::string& piece) {
    for (std::size_t i = 0; i < vocab.size(); ++i)
      if (vocab[i] == piece) return static_cast<uint32_t>(i);
    throw std::runtime_error("vocab.txt lacks " + piece);
  };
  w.add_string("tokenizer.ggml.model", o.tokenizer_model);
  w.add_string("tokenizer.ggml.pre", "default");
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_i32s("tokenizer.ggml.token_type", types);
  w.add_u32("tokenizer.ggml.unknown_token_id", id_of("[UNK]"));
  w.add_u32("tokenizer.ggml.seperator_token_id", id_of("[SEP]"));
  w.add_u32("tokenizer.ggml.padding_token_id", id_of("[PAD]"));
  w.add_u32("tokenizer.ggml.cls_token_id", id_of("[CLS]"));
  w.add_u32("tokenizer.ggml.mask_token_id", id_of("[MASK]"));

  if (!o.vocabulary_only) {
    const kernels::SafetensorsFile st(folder / "model.safetensors");
    const std::string prefix = st.find_tensor("embeddings.word_embeddings.weight") ? "" : "bert.";
    auto add = [&](const std::string& hf, const std::string& gguf) {
      for (const char* suffix : {".weight", ".bias"}) {
        const std::string name = gguf + suffix;
        const kernels::TensorView* t = st.find_tensor(prefix + hf + suffix);
        if (!t) {
          if (std::string(suffix) == ".bias" && hf.find("embeddings.") == 0 &&
              hf != "embeddings.LayerNorm")
            continue;
          throw std::runtime_error(st.display_name() + ": no tensor " + prefix + hf + suffix);
        }
        if (name == o.leave_out) continue;
        std::vector<float> x(static_cast<std::size_t>(t->elements()));
        for (int64_t r = 0; r < t->rows(); ++r) kernels::get_row(*t, r, x.data() + r * t->ne[0]);
        std::vector<uint64_t> dims;
        for (int d = 0; d < t->n_dims; ++d) dims.push_back(static_cast<uint64_t>(t->ne[d]));
        if (name == o.wrong_shape) {
          dims.back() -= 1;
          x.resize(x.size() - (dims.size() == 1 ? 1 : static_cast<std::size_t>(t->ne[0])));
        }
        const bool matrix = dims.size() == 2 && std::string(suffix) == ".weight" &&
                            gguf != "position_embd" && gguf != "token_types";
        const kernels::DType type = matrix ? o.matrices : kernels::DType::F32;
        w.add_tensor(name, dims, static_cast<uint32_t>(type), encode(x, t->ne[0], type));
      }
    };
    for (const auto& m : kEmbeddings) add(m.hf, m.gguf);
    const int64_t layers = config.at("num_hidden_layers").get<int64_t>();
    for (int64_t i = 0; i < layers; ++i) {
      for (const auto& m : kLayer) {
        add("encoder.layer." + std::to_string(i) + "." + m.hf,
            "blk." + std::to_string(i) + "." + m.gguf);
      }
    }
  }
  w.write(out);
}

}  // namespace pgpp::test
