#include "embed/encoder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "embed/bert_gguf.h"
#include "embed/bert_model.h"
#include "embed/json_file.h"
#include "embed/sha256.h"
#include "kernels/error.h"
#include "kernels/gguf_file.h"

#if PGPP_HAVE_CUDA
#include "embed/cuda/bert_cuda.h"
#include "kernels/cuda/cuda_context.h"
#endif

namespace pgpp::embed {

namespace {

const std::filesystem::path& checked_folder(const std::filesystem::path& folder) {
  if (!std::filesystem::is_regular_file(folder / "config.json") ||
      !std::filesystem::is_regular_file(folder / "model.safetensors")) {
    throw Error(folder.string() + ": not an encoder folder (config.json and model.safetensors expected)");
  }
  return folder;
}

// The GGUF file when `model` is a file (checked to be a BERT encoder first, so that a decoder
// is refused for its architecture rather than its vocabulary); null for a folder.
std::shared_ptr<const kernels::GgufFile> open_if_gguf(const std::filesystem::path& model) {
  if (std::filesystem::is_directory(model)) return nullptr;
  if (!std::filesystem::exists(model)) throw Error(model.string() + ": no such encoder folder or GGUF file");
  auto file = std::make_shared<const kernels::GgufFile>(model);
  read_bert_gguf_header(*file);
  return file;
}

}  // namespace

#if PGPP_HAVE_CUDA
struct Encoder::GpuForward {
  kernels::cuda::CudaContext ctx;
  BertCuda model;
  explicit GpuForward(const BertModel& cpu_model) : ctx(0), model(cpu_model, ctx) {}
};
#else
struct Encoder::GpuForward {};
#endif

Encoder::Encoder(const std::filesystem::path& model, kernels::CpuBackend& cpu, kernels::Device device)
    : path_(model),
      cpu_(cpu),
      gguf_(open_if_gguf(model)),
      tokenizer_(gguf_ ? WordPieceTokenizer::from_gguf(*gguf_)
                       : WordPieceTokenizer::from_folder(checked_folder(model))) {
  if (gguf_) {
    const BertGgufHeader header = read_bert_gguf_header(*gguf_);
    model_ = std::make_unique<BertModel>(gguf_, cpu);
    max_tokens_ = static_cast<int>(model_->config().max_positions);
    pooling_ = header.pooling_type == kGgufPoolingCls ? Pooling::Cls : Pooling::Mean;
    if (!header.pooling_given) {
      spdlog::warn("{}: bert.pooling_type is missing; using mean pooling", gguf_->display_name());
    }
    normalize_ = true;
    weights_path_ = model;
    name_ = model.stem().string();
  } else {
    load_folder(model, cpu);
  }
  if (tokenizer_.vocab_size() > model_->vocab_rows()) {
    throw Error((gguf_ ? gguf_->display_name() : model.string()) + ": the vocabulary has " +
                std::to_string(tokenizer_.vocab_size()) + " tokens but the word embeddings only " +
                std::to_string(model_->vocab_rows()) + " rows");
  }
  // A CPU-only build refuses Cuda through the probe's own reason.
  device_ = kernels::choose_device(device);
#if PGPP_HAVE_CUDA
  if (device_.device == kernels::Device::Cuda) {
    try {
      gpu_ = std::make_unique<GpuForward>(*model_);
    } catch (const Error& e) {
      if (device != kernels::Device::Auto) throw;
      // auto promises a working encoder: a model the GPU code cannot run stays on the CPU.
      spdlog::warn("{}; the encoder runs on the CPU", e.what());
      device_ = {kernels::Device::Cpu, std::string("cpu: ") + e.what()};
    }
    if (gpu_) batch_size_ = 256;  // the GPU needs many tokens per launch to be busy; 256 x 256 is ~0.7 GB
  }
#endif
}

void Encoder::load_folder(const std::filesystem::path& folder, kernels::CpuBackend& cpu) {
  model_ = std::make_unique<BertModel>(folder, cpu);
  max_tokens_ = static_cast<int>(model_->config().max_positions);
  if (std::filesystem::is_regular_file(folder / "sentence_bert_config.json")) {
    const auto st = read_json_file(folder / "sentence_bert_config.json");
    max_tokens_ = std::min(max_tokens_, st.value("max_seq_length", max_tokens_));
  }
  if (std::filesystem::is_regular_file(folder / "1_Pooling/config.json")) {
    const auto p = read_json_file(folder / "1_Pooling/config.json");
    if (p.value("pooling_mode_cls_token", false)) {
      pooling_ = Pooling::Cls;
    } else if (!p.value("pooling_mode_mean_tokens", true)) {
      throw Error((folder / "1_Pooling/config.json").string() + ": only mean or CLS pooling is supported");
    }
  }
  if (std::filesystem::is_regular_file(folder / "modules.json")) {
    for (const auto& m : read_json_file(folder / "modules.json")) {
      if (m.value("type", "").find("Normalize") != std::string::npos) normalize_ = true;
    }
  }
  if (max_tokens_ < 2) throw Error(folder.string() + ": max_seq_length below 2");
  weights_path_ = folder / "model.safetensors";
  name_ = folder.filename().string();
}

Encoder::~Encoder() = default;

int Encoder::dimension() const { return static_cast<int>(model_->config().hidden); }

int Encoder::count_tokens(std::string_view text) const {
  return static_cast<int>(tokenizer_.encode(text).ids.size());
}

void Encoder::set_max_tokens(int n) {
  std::lock_guard lock(mutex_);
  max_tokens_ = std::clamp(n, 2, static_cast<int>(model_->config().max_positions));
}

std::string Encoder::identity() const {
  std::call_once(identity_once_, [this] { identity_ = name_ + "@sha256:" + sha256_file_hex(weights_path_); });
  return identity_;
}

std::vector<float> Encoder::embed(const std::vector<std::string>& texts) { return embed_detailed(texts).vectors; }

std::vector<float> Encoder::embed(const std::vector<std::string>& texts, const Progress& progress) {
  return embed_detailed(texts, progress).vectors;
}

std::vector<float> Encoder::embed_batch(const std::vector<int32_t>& ids, const std::vector<int64_t>& begin) {
  const int64_t dim = model_->config().hidden;
  const std::size_t n_seqs = begin.size() - 1;
#if PGPP_HAVE_CUDA
  if (gpu_) {
    return gpu_->model.embed(ids, begin,
                             pooling_ == Pooling::Cls ? kernels::cuda::Pooling::Cls : kernels::cuda::Pooling::Mean,
                             normalize_);
  }
#endif
  const std::vector<float> hidden = model_->forward(cpu_, ids, begin);
  std::vector<float> vectors(n_seqs * static_cast<std::size_t>(dim));
  for (std::size_t s = 0; s < n_seqs; ++s) {
    const int64_t s0 = begin[s], s1 = begin[s + 1];
    float* out = vectors.data() + s * static_cast<std::size_t>(dim);
    if (pooling_ == Pooling::Cls) {
      std::copy_n(hidden.data() + s0 * dim, dim, out);
    } else {  // mean over every token, [CLS] and [SEP] included, as sentence-transformers does
      std::vector<double> acc(static_cast<std::size_t>(dim), 0.0);
      for (int64_t t = s0; t < s1; ++t)
        for (int64_t c = 0; c < dim; ++c) acc[c] += hidden[t * dim + c];
      for (int64_t c = 0; c < dim; ++c) out[c] = static_cast<float>(acc[c] / static_cast<double>(s1 - s0));
    }
    if (normalize_) {  // torch.nn.functional.normalize: x / max(||x||, 1e-12)
      double sq = 0;
      for (int64_t c = 0; c < dim; ++c) sq += static_cast<double>(out[c]) * out[c];
      const double inv = 1.0 / std::max(std::sqrt(sq), 1e-12);
      for (int64_t c = 0; c < dim; ++c) out[c] = static_cast<float>(out[c] * inv);
    }
  }
  return vectors;
}

EmbedResult Encoder::embed_detailed(const std::vector<std::string>& texts, const Progress& progress) {
  std::lock_guard lock(mutex_);
  const std::size_t n = texts.size();
  const int64_t dim = model_->config().hidden;
  EmbedResult result;
  result.vectors.assign(n * static_cast<std::size_t>(dim), 0.0f);
  result.tokens.resize(n);
  result.truncated.resize(n);

  std::vector<Tokenized> tokenized(n);
  // Texts are tokenized independently, so over the pool: on the GPU the forward pass is fast
  // enough that one thread of tokenizing would be a large share of the time (unmeasured).
  cpu_.pool().parallel_for(static_cast<int64_t>(n), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) tokenized[i] = tokenizer_.encode(texts[i], max_tokens_);
  }, 8);
  for (std::size_t i = 0; i < n; ++i) {
    result.tokens[i] = static_cast<int>(tokenized[i].ids.size());
    result.truncated[i] = tokenized[i].truncated;
    if (tokenized[i].truncated) {
      spdlog::warn("encoder: text {} ({} bytes) is longer than {} tokens; only its start is embedded", i,
                   texts[i].size(), max_tokens_);
    }
  }
  // Longest first, so each batch holds texts of similar length and the last batch is short.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return tokenized[a].ids.size() > tokenized[b].ids.size(); });

  std::size_t done = 0;
  for (std::size_t b0 = 0; b0 < n; b0 += static_cast<std::size_t>(batch_size_)) {
    const std::size_t b1 = std::min(n, b0 + static_cast<std::size_t>(batch_size_));
    std::vector<int32_t> ids;
    std::vector<int64_t> begin{0};
    for (std::size_t j = b0; j < b1; ++j) {
      const auto& t = tokenized[order[j]].ids;
      ids.insert(ids.end(), t.begin(), t.end());
      begin.push_back(static_cast<int64_t>(ids.size()));
    }
    const std::vector<float> vectors = embed_batch(ids, begin);
    for (std::size_t j = b0; j < b1; ++j) {
      std::copy_n(vectors.data() + (j - b0) * static_cast<std::size_t>(dim), dim,
                  result.vectors.data() + order[j] * static_cast<std::size_t>(dim));
    }
    done = b1;
    if (progress && !progress(done, n)) throw Cancelled();
  }
  return result;
}

}  // namespace pgpp::embed
