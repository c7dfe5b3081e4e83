#include "embed/bert_model.h"

#include <cmath>
#include <string>

#include "embed/bert_gguf.h"
#include "embed/json_file.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/gelu.h"
#include "kernels/cpu/layer_norm.h"
#include "kernels/error.h"
#include "kernels/matmul.h"
#include "kernels/safetensors_file.h"

namespace pgpp::embed {

namespace {

std::vector<float> to_floats(const kernels::TensorView& t) {
  std::vector<float> out(static_cast<std::size_t>(t.elements()));
  for (int64_t r = 0; r < t.rows(); ++r) kernels::get_row(t, r, out.data() + r * t.ne[0]);
  return out;
}

// The GEMM packs float weights; a quantized matrix (Q8_0, ...) is expanded to floats first.
kernels::cpu::PackedWeight pack(kernels::CpuBackend& cpu, const kernels::TensorView& t) {
  if (t.type == kernels::DType::F32 || t.type == kernels::DType::F16 || t.type == kernels::DType::BF16) {
    return kernels::cpu::pack_weight(cpu, t);
  }
  const std::vector<float> floats = to_floats(t);
  kernels::TensorView view = t;
  view.type = kernels::DType::F32;
  view.data = reinterpret_cast<const std::byte*>(floats.data());
  view.nbytes = floats.size() * sizeof(float);
  return kernels::cpu::pack_weight(cpu, view);
}

}  // namespace

BertModel::BertModel(const std::filesystem::path& dir, kernels::CpuBackend& cpu) {
  const auto config_path = dir / "config.json";
  const auto c = read_json_file(config_path);
  const std::string type = c.value("model_type", "");
  if (type != "bert") throw Error(config_path.string() + ": model_type '" + type + "' is not a BERT encoder");
  if (c.value("hidden_act", "gelu") != "gelu") {
    throw Error(config_path.string() + ": hidden_act '" + c.value("hidden_act", "") + "' is not supported (gelu only)");
  }
  if (c.value("position_embedding_type", "absolute") != "absolute") {
    throw Error(config_path.string() + ": only absolute position embeddings are supported");
  }
  config_.hidden = c.value("hidden_size", 0);
  config_.heads = c.value("num_attention_heads", 0);
  config_.layers = c.value("num_hidden_layers", 0);
  config_.intermediate = c.value("intermediate_size", 0);
  config_.max_positions = c.value("max_position_embeddings", 0);
  config_.type_vocab = c.value("type_vocab_size", 2);
  config_.layer_norm_eps = c.value("layer_norm_eps", 1e-12f);
  if (config_.hidden <= 0 || config_.heads <= 0 || config_.hidden % config_.heads != 0 || config_.layers <= 0 ||
      config_.intermediate <= 0 || config_.max_positions <= 0) {
    throw Error(config_path.string() + ": hidden_size, num_attention_heads, num_hidden_layers, intermediate_size "
                "or max_position_embeddings missing or inconsistent");
  }

  auto file = std::make_shared<const kernels::SafetensorsFile>(dir / "model.safetensors");
  weights_file_ = file;
  // Exports name tensors with or without the "bert." prefix of BertForXxx checkpoints.
  const std::string prefix = file->find_tensor("embeddings.word_embeddings.weight") ? "" : "bert.";
  auto name = [prefix](Part part, int64_t layer) -> std::string {
    const std::string l = prefix + "encoder.layer." + std::to_string(layer) + ".";
    switch (part) {
      case Part::WordEmbeddings: return prefix + "embeddings.word_embeddings";
      case Part::PositionEmbeddings: return prefix + "embeddings.position_embeddings";
      case Part::TokenTypes: return prefix + "embeddings.token_type_embeddings";
      case Part::EmbeddingNorm: return prefix + "embeddings.LayerNorm";
      case Part::Query: return l + "attention.self.query";
      case Part::Key: return l + "attention.self.key";
      case Part::Value: return l + "attention.self.value";
      case Part::AttentionOut: return l + "attention.output.dense";
      case Part::AttentionNorm: return l + "attention.output.LayerNorm";
      case Part::FfnUp: return l + "intermediate.dense";
      case Part::FfnDown: return l + "output.dense";
      case Part::FfnNorm: return l + "output.LayerNorm";
    }
    return {};
  };
  load({file->display_name(), [file](const std::string& n) { return file->find_tensor(n); }, name}, cpu);
}

BertModel::BertModel(std::shared_ptr<const kernels::GgufFile> file, kernels::CpuBackend& cpu) {
  config_ = read_bert_gguf_header(*file).config;
  weights_file_ = file;
  // Tensor names as llama.cpp's converter writes them for MODEL_ARCH.BERT.
  auto name = [](Part part, int64_t layer) -> std::string {
    const std::string l = "blk." + std::to_string(layer) + ".";
    switch (part) {
      case Part::WordEmbeddings: return "token_embd";
      case Part::PositionEmbeddings: return "position_embd";
      case Part::TokenTypes: return "token_types";
      case Part::EmbeddingNorm: return "token_embd_norm";
      case Part::Query: return l + "attn_q";
      case Part::Key: return l + "attn_k";
      case Part::Value: return l + "attn_v";
      case Part::AttentionOut: return l + "attn_output";
      case Part::AttentionNorm: return l + "attn_output_norm";
      case Part::FfnUp: return l + "ffn_up";
      case Part::FfnDown: return l + "ffn_down";
      case Part::FfnNorm: return l + "layer_output_norm";
    }
    return {};
  };
  load({file->display_name(), [file](const std::string& n) { return file->find_tensor(n); }, name}, cpu);
}

void BertModel::load(const Weights& w, kernels::CpuBackend& cpu) {
  // Each tensor must exist, have the shape the config implies (ne1 < 0: any number of rows)
  // and a type our kernels can read.
  auto tensor = [&](const std::string& name, int64_t ne0, int64_t ne1) -> const kernels::TensorView& {
    const kernels::TensorView* t = w.find(name);
    if (!t) throw Error(w.file + ": tensor " + name + " is missing");
    if (t->ne[0] != ne0 || (ne1 > 0 && t->rows() != ne1) || t->ne[2] != 1 || t->ne[3] != 1) {
      throw Error(w.file + ": tensor " + t->name + " has shape " + t->shape_string() + ", expected [" +
                  std::to_string(ne0) + ", " + (ne1 > 0 ? std::to_string(ne1) : std::string("any")) + "]");
    }
    if (!kernels::matmul_supports(t->type)) {
      throw Error(w.file + ": tensor " + t->name + " has type " + std::string(kernels::dtype_name(t->type)) +
                  ", which the encoder cannot read (F32, F16, BF16 or a GGUF quantized type expected)");
    }
    return *t;
  };
  const int64_t h = config_.hidden, f = config_.intermediate;
  auto vec = [&](const std::string& name, int64_t n) { return to_floats(tensor(name, n, 1)); };
  auto norm = [&](Part part, int64_t layer) {
    const std::string n = w.name(part, layer);
    return Norm{vec(n + ".weight", h), vec(n + ".bias", h)};
  };
  auto lin = [&](Part part, int64_t layer, int64_t in, int64_t out) {
    const std::string n = w.name(part, layer);
    const kernels::TensorView& weight = tensor(n + ".weight", in, out);
    return Linear{pack(cpu, weight), weight, vec(n + ".bias", out)};
  };

  word_embeddings_ = tensor(w.name(Part::WordEmbeddings, 0) + ".weight", h, -1);
  position_embeddings_ = to_floats(tensor(w.name(Part::PositionEmbeddings, 0) + ".weight", h, config_.max_positions));
  const auto types = to_floats(tensor(w.name(Part::TokenTypes, 0) + ".weight", h, -1));
  token_type0_.assign(types.begin(), types.begin() + h);
  embedding_norm_ = norm(Part::EmbeddingNorm, 0);
  for (int64_t i = 0; i < config_.layers; ++i) {
    Layer l;
    l.q = lin(Part::Query, i, h, h);
    l.k = lin(Part::Key, i, h, h);
    l.v = lin(Part::Value, i, h, h);
    l.out = lin(Part::AttentionOut, i, h, h);
    l.attn_norm = norm(Part::AttentionNorm, i);
    l.ffn_in = lin(Part::FfnUp, i, h, f);
    l.ffn_out = lin(Part::FfnDown, i, f, h);
    l.ffn_norm = norm(Part::FfnNorm, i);
    layers_.push_back(std::move(l));
  }
}

void BertModel::linear(kernels::CpuBackend& cpu, const Linear& l, const float* x, int64_t n, float* y) const {
  kernels::cpu::matmul_packed(cpu, l.w, x, n, y);
  const int64_t rows = l.w.rows;
  const float* b = l.bias.data();
  cpu.pool().parallel_for(n, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t r = 0; r < rows; ++r) y[t * rows + r] += b[r];
  }, 16);
}

std::vector<float> BertModel::forward(kernels::CpuBackend& cpu, const std::vector<int32_t>& ids,
                                      const std::vector<int64_t>& seq_begin) const {
  const int64_t n = static_cast<int64_t>(ids.size()), h = config_.hidden;
  const int64_t n_seqs = static_cast<int64_t>(seq_begin.size()) - 1;
  const int64_t vocab = word_embeddings_.rows();
  std::vector<float> x(static_cast<std::size_t>(n * h));
  for (int64_t s = 0; s < n_seqs; ++s) {
    if (seq_begin[s + 1] - seq_begin[s] > config_.max_positions) {
      throw Error("encoder: a sequence of " + std::to_string(seq_begin[s + 1] - seq_begin[s]) +
                  " tokens exceeds the model's " + std::to_string(config_.max_positions) + " positions");
    }
    for (int64_t t = seq_begin[s]; t < seq_begin[s + 1]; ++t) {
      if (ids[t] < 0 || ids[t] >= vocab) throw Error("encoder: token id " + std::to_string(ids[t]) + " out of range");
      float* row = x.data() + t * h;
      kernels::get_row(word_embeddings_, ids[t], row);
      const float* pos = position_embeddings_.data() + (t - seq_begin[s]) * h;
      for (int64_t i = 0; i < h; ++i) row[i] += pos[i] + token_type0_[i];
    }
  }
  const float eps = config_.layer_norm_eps;
  kernels::cpu::layer_norm(cpu, x.data(), nullptr, n, h, embedding_norm_.gamma.data(), embedding_norm_.beta.data(), eps);

  const int64_t head_dim = h / config_.heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  std::vector<float> q(x.size()), k(x.size()), v(x.size()), ctx(x.size());
  std::vector<float> ffn(static_cast<std::size_t>(n * config_.intermediate));
  for (const Layer& l : layers_) {
    linear(cpu, l.q, x.data(), n, q.data());
    linear(cpu, l.k, x.data(), n, k.data());
    linear(cpu, l.v, x.data(), n, v.data());
    kernels::cpu::attention(cpu, q.data(), k.data(), v.data(), h, seq_begin.data(), n_seqs, config_.heads,
                            head_dim, scale, ctx.data(), h);
    linear(cpu, l.out, ctx.data(), n, q.data());  // q's buffer now holds the attention output
    kernels::cpu::layer_norm(cpu, q.data(), x.data(), n, h, l.attn_norm.gamma.data(), l.attn_norm.beta.data(), eps);
    x.swap(q);
    linear(cpu, l.ffn_in, x.data(), n, ffn.data());
    kernels::cpu::gelu(cpu, ffn.data(), static_cast<int64_t>(ffn.size()));
    linear(cpu, l.ffn_out, ffn.data(), n, q.data());
    kernels::cpu::layer_norm(cpu, q.data(), x.data(), n, h, l.ffn_norm.gamma.data(), l.ffn_norm.beta.data(), eps);
    x.swap(q);
  }
  return x;
}

}  // namespace pgpp::embed
