#include "llm/llama_model.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/kv_attention.h"
#include "kernels/cpu/rms_norm.h"
#include "kernels/cpu/swiglu.h"
#include "kernels/error.h"
#include "kernels/float16.h"
#include "kernels/matmul.h"

namespace pgpp::llm {

namespace kc = kernels::cpu;

namespace {

const float* f32(const kernels::TensorView* t) {
  return t ? reinterpret_cast<const float*>(t->data) : nullptr;
}

std::string shape_of(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

void add_bias(const float* b, float* y, int64_t n_tokens, int64_t n) {
  if (!b) return;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t i = 0; i < n; ++i) y[t * n + i] += b[i];
  }
}

void add_into(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

}  // namespace

std::unique_ptr<LlamaModel> LlamaModel::load(const std::filesystem::path& path,
                                             LlamaLoadOptions options) {
  return std::make_unique<LlamaModel>(std::make_unique<kernels::GgufFile>(path), options);
}

const kernels::TensorView* LlamaModel::matrix(const kernels::TensorView* t) {
  if (!t || !dequantize_weights_ || t->type == kernels::DType::F32) return t;
  auto data = std::make_unique<std::vector<float>>(static_cast<std::size_t>(t->elements()));
  for (int64_t r = 0; r < t->rows(); ++r) kernels::get_row(*t, r, data->data() + r * t->ne[0]);
  auto view = std::make_unique<kernels::TensorView>(*t);
  view->type = kernels::DType::F32;
  view->data = reinterpret_cast<const std::byte*>(data->data());
  view->nbytes = data->size() * sizeof(float);
  expanded_data_.push_back(std::move(data));
  expanded_views_.push_back(std::move(view));
  return expanded_views_.back().get();
}

void LlamaModel::fail(const std::string& reason) const {
  throw Error(file_->display_name() + ": " + reason);
}

const kernels::TensorView* LlamaModel::optional(const std::string& name,
                                                std::vector<int64_t> shape) const {
  const kernels::TensorView* t = file_->find_tensor(name);
  if (!t) return nullptr;
  bool ok = t->n_dims == static_cast<int>(shape.size());
  for (std::size_t i = 0; ok && i < shape.size(); ++i) ok = shape[i] < 0 || t->ne[i] == shape[i];
  if (!ok)
    fail("tensor " + name + " has shape " + t->shape_string() + ", expected " + shape_of(shape));
  if (shape.size() == 1 && t->type != kernels::DType::F32) {
    fail("tensor " + name + " is " + std::string(kernels::dtype_name(t->type)) +
         "; vectors must be F32");
  }
  if (shape.size() == 2 && !kernels::matmul_supports(t->type)) {
    fail("tensor " + name + " is " + std::string(kernels::dtype_name(t->type)) +
         ", a type this build cannot multiply with");
  }
  return t;
}

const kernels::TensorView& LlamaModel::require(const std::string& name,
                                               std::vector<int64_t> shape) const {
  const kernels::TensorView* t = optional(name, std::move(shape));
  if (!t) fail("tensor " + name + " is missing");
  return *t;
}

LlamaModel::LlamaModel(std::unique_ptr<kernels::GgufFile> file, LlamaLoadOptions options)
    : file_(std::move(file)), dequantize_weights_(options.dequantize_weights) {
  const kernels::GgufFile& f = *file_;
  hp_.architecture = f.get_string_or("general.architecture", "");
  if (hp_.architecture != "llama" && hp_.architecture != "qwen2") {
    fail("architecture '" + hp_.architecture + "' is not supported (supported: llama, qwen2)");
  }
  const std::string a = hp_.architecture + ".";
  hp_.n_embd = f.get_int(a + "embedding_length");
  hp_.n_layer = f.get_int(a + "block_count");
  hp_.n_head = f.get_int(a + "attention.head_count");
  hp_.n_head_kv = f.get_int_or(a + "attention.head_count_kv", hp_.n_head);
  hp_.n_ff = f.get_int(a + "feed_forward_length");
  hp_.n_ctx_train = f.get_int_or(a + "context_length", 2048);
  if (hp_.n_embd <= 0 || hp_.n_layer <= 0 || hp_.n_head <= 0 || hp_.n_head_kv <= 0 ||
      hp_.n_ff <= 0 || hp_.n_ctx_train <= 0) {
    fail("hyper-parameters out of range");
  }
  hp_.head_dim = f.get_int_or(a + "attention.key_length", hp_.n_embd / hp_.n_head);
  if (f.get_int_or(a + "attention.value_length", hp_.head_dim) != hp_.head_dim) {
    fail("key and value heads of different sizes are not supported");
  }
  if (hp_.n_head % hp_.n_head_kv != 0) {
    fail(std::to_string(hp_.n_head) + " query heads cannot be grouped over " +
         std::to_string(hp_.n_head_kv) + " key/value heads");
  }
  hp_.n_rot = f.get_int_or(a + "rope.dimension_count", hp_.head_dim);
  hp_.rope_base = f.get_float_or(a + "rope.freq_base", 10000.0);
  hp_.rms_eps = static_cast<float>(f.get_float_or(a + "attention.layer_norm_rms_epsilon", 1e-5));
  hp_.rope_order = hp_.architecture == "qwen2" ? kc::RopeOrder::NeoX : kc::RopeOrder::Normal;
  const std::string scaling = f.get_string_or(a + "rope.scaling.type", "none");
  if (scaling == "linear") {
    hp_.rope_linear_scale = f.get_float_or(a + "rope.scaling.factor", 1.0);
    if (hp_.rope_linear_scale <= 0) fail("rope.scaling.factor must be positive");
  } else if (scaling != "none" && scaling != "") {
    fail("RoPE scaling '" + scaling +
         "' is not supported (supported: none, linear, Llama 3 rope_freqs)");
  }

  token_embd_ = &require("token_embd.weight", {hp_.n_embd, -1});  // -1: any vocabulary size
  hp_.n_vocab = token_embd_->ne[1];
  output_norm_ = &require("output_norm.weight", {hp_.n_embd});
  output_ = optional("output.weight", {hp_.n_embd, hp_.n_vocab});
  if (!output_) output_ = token_embd_;  // tied embeddings
  token_embd_ = matrix(token_embd_);
  output_ = output_ == file_->find_tensor("token_embd.weight") ? token_embd_ : matrix(output_);

  const int64_t E = hp_.n_embd;
  for (int64_t l = 0; l < hp_.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    Layer L{};
    L.attn_norm = &require(p + "attn_norm.weight", {E});
    L.wq = &require(p + "attn_q.weight", {E, hp_.q_dim()});
    L.wk = &require(p + "attn_k.weight", {E, hp_.kv_dim()});
    L.wv = &require(p + "attn_v.weight", {E, hp_.kv_dim()});
    L.wo = &require(p + "attn_output.weight", {hp_.q_dim(), E});
    L.bq = optional(p + "attn_q.bias", {hp_.q_dim()});
    L.bk = optional(p + "attn_k.bias", {hp_.kv_dim()});
    L.bv = optional(p + "attn_v.bias", {hp_.kv_dim()});
    L.ffn_norm = &require(p + "ffn_norm.weight", {E});
    L.gate = &require(p + "ffn_gate.weight", {E, hp_.n_ff});
    L.up = &require(p + "ffn_up.weight", {E, hp_.n_ff});
    L.down = &require(p + "ffn_down.weight", {hp_.n_ff, E});
    for (const kernels::TensorView** m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.gate, &L.up, &L.down})
      *m = matrix(*m);
    layers_.push_back(L);
  }

  std::vector<float> freq_factors;
  if (const kernels::TensorView* rf = optional("rope_freqs.weight", {hp_.n_rot / 2})) {
    freq_factors.assign(f32(rf), f32(rf) + hp_.n_rot / 2);
  }
  try {
    rope_ = std::make_unique<kc::Rope>(hp_.head_dim, hp_.n_rot, hp_.rope_base, hp_.rope_order,
                                       std::move(freq_factors), hp_.rope_linear_scale);
  } catch (const Error& e) {
    fail(e.what());
  }
}

int64_t LlamaModel::context_for(int64_t max_positions) const {
  return max_positions > 0 ? std::min(hp_.n_ctx_train, max_positions) : hp_.n_ctx_train;
}

KvCache LlamaModel::make_cache(int64_t max_positions) const {
  return KvCache(hp_.n_layer, context_for(max_positions), hp_.kv_dim());
}

void LlamaModel::forward(kernels::CpuBackend& cpu, KvCache& cache,
                         const std::vector<int32_t>& tokens, bool all_logits,
                         std::vector<float>& logits, int64_t batch_size) const {
  const auto n = static_cast<int64_t>(tokens.size());
  if (n == 0) throw Error(display_name() + ": no tokens to run");
  if (cache.kv_dim() != hp_.kv_dim() || cache.n_layers() != hp_.n_layer) {
    throw Error(display_name() + ": KV cache made for another model");
  }
  if (cache.size() + n > cache.capacity()) {
    throw Error(display_name() + ": " + std::to_string(cache.size() + n) +
                " tokens do not fit the context of " + std::to_string(cache.capacity()));
  }
  for (int32_t id : tokens) {
    if (id < 0 || id >= hp_.n_vocab)
      throw Error(display_name() + ": token id " + std::to_string(id) + " out of range");
  }
  batch_size = std::max<int64_t>(1, batch_size);
  logits.assign(static_cast<std::size_t>((all_logits ? n : 1) * hp_.n_vocab), 0.0f);
  for (int64_t b = 0; b < n; b += batch_size) {
    const int64_t m = std::min(batch_size, n - b);
    const bool last = b + m == n;
    if (!all_logits && !last) {
      forward_batch(cpu, cache, tokens.data() + b, m, false, nullptr);
    } else {
      forward_batch(cpu, cache, tokens.data() + b, m, all_logits,
                    all_logits ? logits.data() + b * hp_.n_vocab : logits.data());
    }
  }
}

// One batch of n tokens through every layer. Activations are n rows of floats; the new keys and
// values go straight into the cache as halves.
void LlamaModel::forward_batch(kernels::CpuBackend& cpu, KvCache& cache, const int32_t* tokens,
                               int64_t n, bool all_logits, float* logits) const {
  const int64_t E = hp_.n_embd;
  const int64_t Q = hp_.q_dim();
  const int64_t KV = hp_.kv_dim();
  const int64_t F = hp_.n_ff;
  const int64_t p0 = cache.size();
  const auto sz = [](int64_t x) { return static_cast<std::size_t>(x); };

  std::vector<float> x(sz(n * E)), h(sz(n * E)), q(sz(n * Q)), k(sz(n * KV)), v(sz(n * KV)),
      att(sz(n * Q));
  std::vector<float> g(sz(n * F)), u(sz(n * F));
  std::vector<int32_t> pos(sz(n));
  for (int64_t t = 0; t < n; ++t) {
    pos[sz(t)] = static_cast<int32_t>(p0 + t);
    kernels::get_row(*token_embd_, tokens[t], x.data() + t * E);
  }
  const kc::AttentionShape shape{hp_.n_head, hp_.n_head_kv, hp_.head_dim};
  const float scale = 1.0f / std::sqrt(static_cast<float>(hp_.head_dim));

  for (int64_t l = 0; l < hp_.n_layer; ++l) {
    const Layer& L = layers_[sz(l)];
    kc::rms_norm(cpu, x.data(), f32(L.attn_norm), n, E, hp_.rms_eps, h.data());
    // Q, K, V (and below gate, up) share their input: one hand-off to the pool for all three.
    const kernels::TensorView* qkv[] = {L.wq, L.wk, L.wv};
    float* qkv_out[] = {q.data(), k.data(), v.data()};
    kernels::matmul_shared_input(cpu, qkv, h.data(), n, qkv_out);
    add_bias(f32(L.bq), q.data(), n, Q);
    add_bias(f32(L.bk), k.data(), n, KV);
    add_bias(f32(L.bv), v.data(), n, KV);
    rope_->apply(cpu, q.data(), n, hp_.n_head, pos.data());
    rope_->apply(cpu, k.data(), n, hp_.n_head_kv, pos.data());
    uint16_t* kc_rows = cache.keys(l) + p0 * KV;
    uint16_t* vc_rows = cache.values(l) + p0 * KV;
    for (int64_t i = 0; i < n * KV; ++i) {
      kc_rows[i] = kernels::fp32_to_fp16(k[sz(i)]);
      vc_rows[i] = kernels::fp32_to_fp16(v[sz(i)]);
    }
    kc::kv_attention(cpu, shape, q.data(), n, p0, cache.keys(l), cache.values(l), KV, scale,
                     att.data());
    kernels::matmul(cpu, *L.wo, att.data(), n, h.data());
    add_into(x.data(), h.data(), n * E);

    kc::rms_norm(cpu, x.data(), f32(L.ffn_norm), n, E, hp_.rms_eps, h.data());
    const kernels::TensorView* gate_up[] = {L.gate, L.up};
    float* gate_up_out[] = {g.data(), u.data()};
    kernels::matmul_shared_input(cpu, gate_up, h.data(), n, gate_up_out);
    kc::swiglu(cpu, g.data(), u.data(), n * F, g.data());
    kernels::matmul(cpu, *L.down, g.data(), n, h.data());
    add_into(x.data(), h.data(), n * E);
  }
  cache.append(tokens, n);
  if (!logits) return;
  // Only the rows whose logits are wanted go through the (large) output matrix.
  const int64_t first = all_logits ? 0 : n - 1;
  const int64_t rows = n - first;
  kc::rms_norm(cpu, x.data() + first * E, f32(output_norm_), rows, E, hp_.rms_eps, h.data());
  kernels::matmul(cpu, *output_, h.data(), rows, logits);
}

}  // namespace pgpp::llm
