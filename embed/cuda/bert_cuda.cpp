#include "embed/cuda/bert_cuda.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <span>
#include <string>

#include "kernels/error.h"
#include "kernels/float16.h"
#include "kernels/matmul.h"

namespace pgpp::embed {

namespace {

namespace cuda = kernels::cuda;

// Rows of a stored matrix (any type get_row reads) as IEEE halves, appended to `out`.
void append_halves(const kernels::TensorView& t, std::vector<uint16_t>& out) {
  std::vector<float> row(static_cast<std::size_t>(t.ne[0]));
  for (int64_t r = 0; r < t.rows(); ++r) {
    kernels::get_row(t, r, row.data());
    for (const float f : row) out.push_back(kernels::fp32_to_fp16(f));
  }
}

template <class T>
cuda::DeviceArray<T> to_device(cuda::CudaContext& ctx, std::span<const T> host,
                               const std::string& what) {
  return cuda::DeviceArray<T>::from(ctx, host, what);
}

}  // namespace

BertCuda::BertCuda(const BertModel& model, cuda::CudaContext& ctx)
    : ctx_(ctx), config_(model.config()) {
  const int64_t h = config_.hidden;
  const int64_t head_dim = h / config_.heads;
  if (head_dim % 32 != 0 || head_dim > 128) {
    throw Error("encoder: heads of " + std::to_string(head_dim) +
                " values are not supported on the GPU (a multiple of 32 up to 128)");
  }
  vocab_ = model.vocab_rows();
  {
    std::vector<uint16_t> word;
    word.reserve(static_cast<std::size_t>(vocab_ * h));
    append_halves(model.word_embeddings(), word);
    word_ = to_device<uint16_t>(ctx, word, "the encoder's word embeddings");
  }
  position_ =
      to_device<float>(ctx, model.position_embeddings(), "the encoder's position embeddings");
  token_type0_ = to_device<float>(ctx, model.token_type0(), "the encoder's token-type embedding");
  embedding_norm_ = {
      to_device<float>(ctx, model.embedding_norm().gamma, "the encoder's embedding norm"),
      to_device<float>(ctx, model.embedding_norm().beta, "the encoder's embedding norm")};

  auto linear = [&](std::initializer_list<const BertModel::Linear*> parts,
                    const std::string& what) {
    Linear l;
    std::vector<uint16_t> w;
    std::vector<float> bias;
    for (const BertModel::Linear* p : parts) {
      append_halves(p->weight, w);
      bias.insert(bias.end(), p->bias.begin(), p->bias.end());
      l.rows += p->weight.rows();
      l.cols = p->weight.ne[0];
    }
    l.w = to_device<uint16_t>(ctx, w, what);
    l.bias = to_device<float>(ctx, bias, what);
    return l;
  };
  auto norm = [&](const BertModel::Norm& n, const std::string& what) {
    return Norm{to_device<float>(ctx, n.gamma, what), to_device<float>(ctx, n.beta, what)};
  };
  int index = 0;
  for (const BertModel::Layer& src : model.layers()) {
    const std::string at = "encoder layer " + std::to_string(index++);
    Layer l;
    l.qkv = linear({&src.q, &src.k, &src.v}, at + " attention weights");
    l.out = linear({&src.out}, at + " attention output");
    l.ffn_in = linear({&src.ffn_in}, at + " feed-forward");
    l.ffn_out = linear({&src.ffn_out}, at + " feed-forward");
    l.attn_norm = norm(src.attn_norm, at + " norms");
    l.ffn_norm = norm(src.ffn_norm, at + " norms");
    layers_.push_back(std::move(l));
  }
}

void BertCuda::reserve(int64_t n_tokens, int64_t n_seqs) {
  if (n_seqs > seq_capacity_) {
    seq_capacity_ = n_seqs;
    const auto s = static_cast<std::size_t>(n_seqs);
    seq_begin_ = DeviceArray<int32_t>(s + 1, "the batch's sequence starts");
    pooled_ =
        DeviceArray<float>(s * static_cast<std::size_t>(config_.hidden), "the batch's vectors");
  }
  if (n_tokens <= token_capacity_) return;
  token_capacity_ = n_tokens;
  const auto n = static_cast<std::size_t>(n_tokens);
  const auto h = static_cast<std::size_t>(config_.hidden);
  const std::string what = "the encoder's activations for " + std::to_string(n_tokens) + " tokens";
  ids_ = DeviceArray<int32_t>(n, what);
  positions_ = DeviceArray<int32_t>(n, what);
  x_ = DeviceArray<float>(n * h, what);
  y_ = DeviceArray<float>(n * h, what);
  x_half_ = DeviceArray<uint16_t>(n * h, what);
  qkv_ = DeviceArray<uint16_t>(n * 3 * h, what);
  context_ = DeviceArray<uint16_t>(n * h, what);
  ffn_ = DeviceArray<uint16_t>(n * static_cast<std::size_t>(config_.intermediate), what);
}

void BertCuda::run(const std::vector<int32_t>& ids, const std::vector<int64_t>& seq_begin) {
  const int64_t n = static_cast<int64_t>(ids.size()), h = config_.hidden;
  const int64_t n_seqs = static_cast<int64_t>(seq_begin.size()) - 1;
  if (n_seqs < 1 || seq_begin.front() != 0 || seq_begin.back() != n) {
    throw Error("encoder: sequence starts do not cover the batch's tokens");
  }
  // The same checks as the CPU forward, on the host: a bad id would read outside the table.
  std::vector<int32_t> positions(ids.size());
  std::vector<int32_t> begin32(seq_begin.size());
  int64_t max_len = 0;
  for (int64_t s = 0; s < n_seqs; ++s) {
    const int64_t len = seq_begin[s + 1] - seq_begin[s];
    if (len < 1 || len > config_.max_positions) {
      throw Error("encoder: a sequence of " + std::to_string(len) + " tokens exceeds the model's " +
                  std::to_string(config_.max_positions) + " positions");
    }
    max_len = std::max(max_len, len);
    for (int64_t t = seq_begin[s]; t < seq_begin[s + 1]; ++t) {
      if (ids[t] < 0 || ids[t] >= vocab_)
        throw Error("encoder: token id " + std::to_string(ids[t]) + " out of range");
      positions[t] = static_cast<int32_t>(t - seq_begin[s]);
    }
  }
  if (n > INT32_MAX) throw Error("encoder: batch too large for the GPU kernels");
  std::transform(seq_begin.begin(), seq_begin.end(), begin32.begin(),
                 [](int64_t v) { return static_cast<int32_t>(v); });

  reserve(n, n_seqs);
  ids_.upload(ctx_, ids);
  positions_.upload(ctx_, positions);
  seq_begin_.upload(ctx_, begin32);

  const float eps = config_.layer_norm_eps;
  const int64_t head_dim = h / config_.heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  cuda::embed_layer_norm(ctx_, ids_.data(), positions_.data(), n, word_.data(), position_.data(),
                         token_type0_.data(), h, embedding_norm_.gamma.data(),
                         embedding_norm_.beta.data(), eps, x_.data(), x_half_.data());
  for (Layer& l : layers_) {
    cuda::linear_f16(ctx_, l.qkv.w.data(), l.qkv.bias.data(), l.qkv.rows, l.qkv.cols,
                     x_half_.data(), n, cuda::Activation::None, qkv_.data());
    const uint16_t* q = qkv_.data();
    cuda::packed_attention(ctx_, q, q + h, q + 2 * h, 3 * h, seq_begin_.data(), n_seqs, max_len,
                           config_.heads, head_dim, scale, context_.data(), h);
    cuda::linear_f32(ctx_, l.out.w.data(), l.out.bias.data(), l.out.rows, l.out.cols,
                     context_.data(), n, y_.data());
    cuda::add_layer_norm(ctx_, y_.data(), x_.data(), x_half_.data(), n, h, l.attn_norm.gamma.data(),
                         l.attn_norm.beta.data(), eps);
    cuda::linear_f16(ctx_, l.ffn_in.w.data(), l.ffn_in.bias.data(), l.ffn_in.rows, l.ffn_in.cols,
                     x_half_.data(), n, cuda::Activation::Gelu, ffn_.data());
    cuda::linear_f32(ctx_, l.ffn_out.w.data(), l.ffn_out.bias.data(), l.ffn_out.rows,
                     l.ffn_out.cols, ffn_.data(), n, y_.data());
    cuda::add_layer_norm(ctx_, y_.data(), x_.data(), x_half_.data(), n, h, l.ffn_norm.gamma.data(),
                         l.ffn_norm.beta.data(), eps);
  }
}

std::vector<float> BertCuda::forward(const std::vector<int32_t>& ids,
                                     const std::vector<int64_t>& seq_begin) {
  run(ids, seq_begin);
  std::vector<float> out(ids.size() * static_cast<std::size_t>(config_.hidden));
  cuda::memory::download(ctx_, out.data(), x_.data(), out.size() * sizeof(float),
                         "copy the hidden states back");
  return out;
}

std::vector<float> BertCuda::embed(const std::vector<int32_t>& ids,
                                   const std::vector<int64_t>& seq_begin, cuda::Pooling pooling,
                                   bool normalize) {
  run(ids, seq_begin);
  const int64_t n_seqs = static_cast<int64_t>(seq_begin.size()) - 1;
  cuda::pool_sequences(ctx_, x_.data(), seq_begin_.data(), n_seqs, config_.hidden, pooling,
                       normalize, pooled_.data());
  std::vector<float> out(static_cast<std::size_t>(n_seqs * config_.hidden));
  cuda::memory::download(ctx_, out.data(), pooled_.data(), out.size() * sizeof(float),
                         "copy the vectors back");
  return out;
}

}  // namespace pgpp::embed
