#include "llm/cuda/llama_cuda.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/error.h"
#include "llm/sampler.h"

namespace pgpp::llm {

namespace kc = kernels::cuda;

LlamaCuda::LlamaCuda(const LlamaModel& model, int64_t max_positions, int64_t max_batch)
    : model_(model), hp_(model.hparams()), ctx_(0) {
  // The prompt-attention kernel has variants for these head sizes only (attention_prefill.cu);
  // refused here, before gigabytes are uploaded, rather than by the first prompt.
  if (hp_.head_dim <= 0 || hp_.head_dim % 32 != 0 || hp_.head_dim > 256) {
    throw Error(model.display_name() + ": attention heads of " + std::to_string(hp_.head_dim) +
                " values are not supported on the GPU (a multiple of 32 up to 256; use --device "
                "cpu)");
  }
  capacity_ = model.context_for(max_positions);
  max_batch_ = std::max<int64_t>(1, std::min(max_batch, capacity_));

  token_embd_ = upload_matrix(model.token_embd());
  output_ = &model.output() == &model.token_embd() ? token_embd_ : upload_matrix(model.output());
  output_norm_ = upload_vector(&model.output_norm());
  for (const LlamaModel::Layer& src : model.layers()) {
    Layer L;
    const auto qkv = upload_joined({src.wq, src.wk, src.wv}, L.qkv);
    L.wq = qkv[0];
    L.wk = qkv[1];
    L.wv = qkv[2];
    const auto gate_up = upload_joined({src.gate, src.up}, L.gate_up);
    L.gate = gate_up[0];
    L.up = gate_up[1];
    L.wo = upload_matrix(*src.wo);
    L.down = upload_matrix(*src.down);
    L.attn_norm = upload_vector(src.attn_norm);
    L.ffn_norm = upload_vector(src.ffn_norm);
    L.bq = upload_vector(src.bq);
    L.bk = upload_vector(src.bk);
    L.bv = upload_vector(src.bv);
    layers_.push_back(L);
  }

  std::vector<double> theta(static_cast<std::size_t>(hp_.n_rot / 2));
  for (std::size_t i = 0; i < theta.size(); ++i)
    theta[i] = model.rope().theta(static_cast<int64_t>(i));
  theta_ = kc::DeviceArray<double>::from(ctx_, theta, "RoPE angles");

  const auto cache_len = static_cast<std::size_t>(hp_.n_layer * capacity_ * hp_.kv_dim());
  k_cache_ = kc::DeviceArray<uint16_t>(cache_len, "the KV cache (keys)");
  v_cache_ = kc::DeviceArray<uint16_t>(cache_len, "the KV cache (values)");

  const auto B = static_cast<std::size_t>(max_batch_);
  const auto sz = [](int64_t v) { return static_cast<std::size_t>(v); };
  ids_ = kc::DeviceArray<int32_t>(B, "token ids");
  positions_ = kc::DeviceArray<int32_t>(B, "positions");
  greedy_ = kc::DeviceArray<int32_t>(1, "the greedy token");
  x_ = kc::DeviceArray<float>(B * sz(hp_.n_embd), "activations");
  h_ = kc::DeviceArray<float>(B * sz(hp_.n_embd), "activations");
  q_ = kc::DeviceArray<float>(B * sz(hp_.q_dim()), "queries");
  k_ = kc::DeviceArray<float>(B * sz(hp_.kv_dim()), "keys");
  v_ = kc::DeviceArray<float>(B * sz(hp_.kv_dim()), "values");
  att_ = kc::DeviceArray<float>(B * sz(hp_.q_dim()), "attention output");
  g_ = kc::DeviceArray<float>(B * sz(hp_.n_ff), "feed-forward activations");
  u_ = kc::DeviceArray<float>(B * sz(hp_.n_ff), "feed-forward activations");
  logits_dev_ = kc::DeviceArray<float>(sz(hp_.n_vocab), "logits");
  qkv_ = kc::DeviceArray<float>(sz(hp_.q_dim() + 2 * hp_.kv_dim()), "joined Q, K and V");
  gate_up_ = kc::DeviceArray<float>(sz(2 * hp_.n_ff), "joined gate and up");
  ctx_.synchronize(model.display_name() + ": upload to the GPU");
}

kc::DeviceMatrix LlamaCuda::upload_matrix(const kernels::TensorView& t) {
  if (!kc::matmul_supports(t.type)) {
    throw Error(model_.display_name() + ": tensor " + t.name + " is " +
                std::string(kernels::dtype_name(t.type)) +
                ", a type the CUDA backend cannot multiply with (use --device cpu)");
  }
  storage_.emplace_back(t.nbytes, t.name);
  storage_.back().upload(ctx_, std::span<const std::byte>(t.data, t.nbytes));
  kc::DeviceMatrix m;
  m.type = t.type;
  m.cols = t.ne[0];
  m.rows = t.rows();
  m.data = storage_.back().data();
  m.row_bytes = t.row_stride();
  return m;
}

std::vector<kc::DeviceMatrix> LlamaCuda::upload_joined(
    const std::vector<const kernels::TensorView*>& ts, kc::DeviceMatrix& joined) {
  bool same = true;
  for (const kernels::TensorView* t : ts) {
    if (!kc::matmul_supports(t->type)) upload_matrix(*t);  // throws, naming the tensor and its type
    same = same && t->type == ts[0]->type && t->ne[0] == ts[0]->ne[0];
  }
  // Matrices of one type and width sit back to back, so their rows form one matrix. Of mixed
  // types each starts on a 256-byte boundary, as its own allocation would: a part after one of
  // an odd number of 2-byte-aligned blocks (Q6_K, Q4_0, ...) would otherwise start 2 bytes off
  // the 4-byte alignment that F32 and Q8_K loads need on the device (a misaligned-address fault).
  constexpr std::size_t kPartAlignment = 256;
  auto start_of_next = [&](std::size_t end) {
    return same ? end : (end + kPartAlignment - 1) / kPartAlignment * kPartAlignment;
  };
  std::size_t total = 0;
  for (const kernels::TensorView* t : ts) total = start_of_next(total) + t->nbytes;
  storage_.emplace_back(total, ts[0]->name + " and the matrices joined to it");
  kc::DeviceArray<std::byte>& buffer = storage_.back();
  std::vector<kc::DeviceMatrix> parts;
  std::size_t offset = 0;
  for (const kernels::TensorView* t : ts) {
    offset = start_of_next(offset);
    buffer.upload(ctx_, std::span<const std::byte>(t->data, t->nbytes), offset);
    kc::DeviceMatrix m;
    m.type = t->type;
    m.cols = t->ne[0];
    m.rows = t->rows();
    m.data = buffer.data() + offset;
    m.row_bytes = t->row_stride();
    parts.push_back(m);
    offset += t->nbytes;
  }
  joined = parts[0];
  joined.rows = 0;
  if (same) {
    for (std::size_t i = 1; i < parts.size(); ++i) joined.rows += parts[i].rows;
    joined.rows += parts[0].rows;
  }
  return parts;
}

const float* LlamaCuda::upload_vector(const kernels::TensorView* t) {
  if (!t) return nullptr;
  storage_.emplace_back(t->nbytes, t->name);
  storage_.back().upload(ctx_, std::span<const std::byte>(t->data, t->nbytes));
  return reinterpret_cast<const float*>(storage_.back().data());
}

double LlamaCuda::copy_bandwidth() {
  if (copy_bandwidth_ == 0) copy_bandwidth_ = kc::measure_copy_bandwidth(ctx_);
  return copy_bandwidth_;
}

std::string LlamaCuda::description() const {
  return "cuda (" + ctx_.device().name + ")";
}

void LlamaCuda::truncate(int64_t n) {
  if (n < 0 || n > size()) throw Error("KV cache truncate past its end");
  tokens_.resize(static_cast<std::size_t>(n));
}

void LlamaCuda::forward(std::span<const int32_t> tokens, int64_t batch_size) {
  const auto n = static_cast<int64_t>(tokens.size());
  if (n == 0) throw Error(model_.display_name() + ": no tokens to run");
  if (size() + n > capacity_) {
    throw Error(model_.display_name() + ": " + std::to_string(size() + n) +
                " tokens do not fit the context of " + std::to_string(capacity_));
  }
  for (int32_t id : tokens) {
    if (id < 0 || id >= hp_.n_vocab)
      throw Error(model_.display_name() + ": token id " + std::to_string(id) + " out of range");
  }
  batch_size = std::clamp<int64_t>(batch_size, 1, max_batch_);
  std::vector<int32_t> pos;
  for (int64_t b = 0; b < n; b += batch_size) {
    const int64_t m = std::min(batch_size, n - b);
    pos.resize(static_cast<std::size_t>(m));
    for (int64_t i = 0; i < m; ++i)
      pos[static_cast<std::size_t>(i)] = static_cast<int32_t>(size() + i);
    ids_.upload(ctx_, tokens.subspan(static_cast<std::size_t>(b), static_cast<std::size_t>(m)));
    positions_.upload(ctx_, pos);
    if (m == 1) {
      decode_step();
    } else {
      run_batch(m);
    }
    tokens_.insert(tokens_.end(), tokens.begin() + b, tokens.begin() + b + m);
  }
  logits_fresh_ = false;
}

void LlamaCuda::decode_step() {
  if (!use_graph_ || !warmed_up_) {
    run_batch(1);
    warmed_up_ = true;
    return;
  }
  if (!graph_.ready()) graph_.capture(ctx_, [&] { run_batch(1); });
  graph_.replay(ctx_);
}

void LlamaCuda::run_batch(int64_t n) {
  const int64_t E = hp_.n_embd;
  const int64_t KV = hp_.kv_dim();
  const int64_t F = hp_.n_ff;
  const kc::AttentionShape shape{hp_.n_head, hp_.n_head_kv, hp_.head_dim};
  const float scale = 1.0f / std::sqrt(static_cast<float>(hp_.head_dim));
  const bool neox = hp_.rope_order == kernels::cpu::RopeOrder::NeoX;

  kc::get_rows(ctx_, token_embd_, ids_.data(), n, x_.data());
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const Layer& L = layers_[l];
    kc::rms_norm(ctx_, x_.data(), L.attn_norm, n, E, hp_.rms_eps, h_.data());
    // One token: Q, K and V in one launch where they were joined (output [q | k | v]).
    float* q = q_.data();
    float* k = k_.data();
    float* v = v_.data();
    if (n == 1 && L.qkv.rows > 0) {
      kc::matmul(ctx_, L.qkv, h_.data(), 1, qkv_.data());
      q = qkv_.data();
      k = q + hp_.q_dim();
      v = k + KV;
    } else {
      kc::matmul(ctx_, L.wq, h_.data(), n, q);
      kc::matmul(ctx_, L.wk, h_.data(), n, k);
      kc::matmul(ctx_, L.wv, h_.data(), n, v);
    }
    if (L.bq) kc::add_bias(ctx_, q, L.bq, n, hp_.q_dim());
    if (L.bk) kc::add_bias(ctx_, k, L.bk, n, KV);
    if (L.bv) kc::add_bias(ctx_, v, L.bv, n, KV);
    kc::rope(ctx_, q, n, hp_.n_head, hp_.head_dim, hp_.n_rot, neox, theta_.data(),
             positions_.data());
    kc::rope(ctx_, k, n, hp_.n_head_kv, hp_.head_dim, hp_.n_rot, neox, theta_.data(),
             positions_.data());
    const std::size_t layer_offset = l * static_cast<std::size_t>(capacity_ * KV);
    uint16_t* kl = k_cache_.data() + layer_offset;
    uint16_t* vl = v_cache_.data() + layer_offset;
    kc::store_kv(ctx_, k, v, n, KV, positions_.data(), kl, vl);
    kc::kv_attention(ctx_, shape, q, n, positions_.data(), capacity_, kl, vl, KV, scale,
                     att_.data());
    kc::matmul(ctx_, L.wo, att_.data(), n, h_.data());
    kc::add_in_place(ctx_, x_.data(), h_.data(), n * E);

    kc::rms_norm(ctx_, x_.data(), L.ffn_norm, n, E, hp_.rms_eps, h_.data());
    if (n == 1 && L.gate_up.rows > 0) {  // [gate | up] in one launch
      kc::matmul(ctx_, L.gate_up, h_.data(), 1, gate_up_.data());
      kc::swiglu(ctx_, gate_up_.data(), gate_up_.data() + F, F, g_.data());
    } else {
      kc::matmul(ctx_, L.gate, h_.data(), n, g_.data());
      kc::matmul(ctx_, L.up, h_.data(), n, u_.data());
      kc::swiglu(ctx_, g_.data(), u_.data(), n * F, g_.data());
    }
    kc::matmul(ctx_, L.down, g_.data(), n, h_.data());
    kc::add_in_place(ctx_, x_.data(), h_.data(), n * E);
  }
  // Only the last token's row goes through the (large) output matrix.
  kc::rms_norm(ctx_, x_.data() + (n - 1) * E, output_norm_, 1, E, hp_.rms_eps, h_.data());
  kc::matmul(ctx_, output_, h_.data(), 1, logits_dev_.data());
}

std::span<float> LlamaCuda::logits() {
  if (!logits_fresh_) {
    logits_host_ = logits_dev_.download(ctx_);
    logits_fresh_ = true;
  }
  return logits_host_;
}

int32_t LlamaCuda::argmax_logits() {
  if (logits_fresh_) return argmax(logits_host_);
  kc::argmax(ctx_, logits_dev_.data(), hp_.n_vocab, greedy_.data());
  return greedy_.download(ctx_)[0];
}

int32_t LlamaCuda::pick_greedy(const Sampler& sampler, std::span<const int32_t> history) {
  if (logits_fresh_) return DecoderRunner::pick_greedy(sampler, history);  // already on the host
  const auto tokens = sampler.penalized_tokens(history);
  if (!tokens.empty()) {
    std::vector<int32_t> ids, counts;
    for (const auto& [id, count] : tokens) {
      ids.push_back(id);
      counts.push_back(count);
    }
    if (penalty_ids_.size() < ids.size()) {
      penalty_ids_ = kc::DeviceArray<int32_t>(ids.size(), "penalized token ids");
      penalty_counts_ = kc::DeviceArray<int32_t>(ids.size(), "penalized token counts");
    }
    penalty_ids_.upload(ctx_, ids);
    penalty_counts_.upload(ctx_, counts);
    const SamplerParams& p = sampler.params();
    kc::apply_penalties(ctx_, logits_dev_.data(), hp_.n_vocab, penalty_ids_.data(),
                        penalty_counts_.data(), static_cast<int64_t>(ids.size()), p.repeat_penalty,
                        p.presence_penalty, p.frequency_penalty);
  }
  return argmax_logits();
}

}  // namespace pgpp::llm
