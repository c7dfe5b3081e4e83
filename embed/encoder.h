#pragma once
// The sentence encoder rag/ uses: texts in, one L2-normalized vector each out.
//
//   kernels::CpuBackend cpu;                       // created once by the program
//   embed::Encoder enc("~/.local/share/pgpp/models/all-minilm-l6-v2", cpu);
//   std::vector<float> v = enc.embed({"first passage", "second"});   // 2 x enc.dimension()
//
// A sentence-transformers folder: config.json + model.safetensors (BERT), tokenizer.json (or
// vocab.txt), sentence_bert_config.json (max_seq_length), 1_Pooling/config.json (mean or CLS)
// and modules.json (Normalize or not). Or a GGUF file of a BERT encoder as llama.cpp's converter
// writes it (bert_gguf.h): sizes, pooling (bert.pooling_type) and vocabulary come from its
// metadata; max_tokens() is bert.context_length, since GGUF does not carry sentence-transformers'
// max_seq_length (set_max_tokens lowers it), and vectors are L2-normalized, since GGUF records
// no Normalize module (llama.cpp's embedding tool normalizes by default as well).
//
// Texts longer than max_tokens() are truncated, as the reference does, with a warning. Texts
// are sorted by length and cut into batches, and each batch is packed without padding. Calls
// from several threads are serialized (one mutex): the backend's pool does one job at a time
// anyway.
//
// On a CUDA GPU (device Cuda, or Auto where a GPU is found) the same weights run in FP16 on the
// GPU (embed/cuda/bert_cuda.h), batches are 256 texts, and pooling and normalisation happen on
// the device; vectors agree with the CPU's to a cosine of 0.999 or better.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "embed/wordpiece_tokenizer.h"
#include "kernels/cpu_backend.h"
#include "kernels/device.h"

namespace pgpp::kernels {
class GgufFile;
}

namespace pgpp::embed {

class BertModel;

enum class Pooling { Mean, Cls };

struct EmbedResult {
  std::vector<float> vectors;    // n x dimension, row-major
  std::vector<int> tokens;       // tokens each text used, [CLS] and [SEP] included
  std::vector<bool> truncated;   // true where the text had more than max_tokens() tokens
};

class Encoder {
 public:
  // Called after each batch with the texts done so far and the total; return false to stop
  // (embed then throws pgpp::Cancelled).
  using Progress = std::function<bool(std::size_t done, std::size_t total)>;

  // `model` is a sentence-transformers folder or a .gguf file. Throws pgpp::Error naming the
  // file and what is missing or malformed (unsupported architecture, missing tensor, wrong
  // shape, unknown pooling). `device` picks where the forward pass runs (kernels/device.h):
  // Cuda throws pgpp::Error saying why when there is no usable GPU or the build has no CUDA
  // backend; Auto falls back to the CPU. The CPU backend is used for loading either way.
  Encoder(const std::filesystem::path& model, kernels::CpuBackend& cpu,
          kernels::Device device = kernels::Device::Cpu);
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  std::vector<float> embed(const std::vector<std::string>& texts);
  std::vector<float> embed(const std::vector<std::string>& texts, const Progress& progress);
  EmbedResult embed_detailed(const std::vector<std::string>& texts, const Progress& progress = {});

  int dimension() const;
  int max_tokens() const { return max_tokens_; }
  // Tokens of the text with [CLS] and [SEP], not truncated (what a chunker budgets with).
  int count_tokens(std::string_view text) const;
  // Texts are cut to n tokens ([CLS] and [SEP] included); n is kept within [2, the model's
  // positions]. For a GGUF model that should match the reference's max_seq_length.
  void set_max_tokens(int n);
  // "<folder name>@sha256:<hex of model.safetensors>", or for a GGUF file "<file name without
  // .gguf>@sha256:<hex of the file>"; hashed on first use, then kept.
  std::string identity() const;

  Pooling pooling() const { return pooling_; }
  bool normalizes() const { return normalize_; }
  const WordPieceTokenizer& tokenizer() const { return tokenizer_; }
  // Sequences per batch (default 32 on the CPU, 256 on the GPU).
  void set_batch_size(int n) { batch_size_ = n > 0 ? n : 1; }
  int batch_size() const { return batch_size_; }
  // Where the forward pass runs (Cpu or Cuda, never Auto) and why, e.g. "cuda: NVIDIA H200".
  kernels::Device device() const { return device_.device; }
  const std::string& device_reason() const { return device_.why; }

 private:
  void load_folder(const std::filesystem::path& folder, kernels::CpuBackend& cpu);
  // Pooled (and normalised) vectors of one packed batch, n_seqs x dimension().
  std::vector<float> embed_batch(const std::vector<int32_t>& ids, const std::vector<int64_t>& seq_begin);

  struct GpuForward;  // the CUDA context and the GPU copy of the model; defined in CUDA builds

  std::filesystem::path path_;
  kernels::CpuBackend& cpu_;
  std::shared_ptr<const kernels::GgufFile> gguf_;  // null for a folder
  WordPieceTokenizer tokenizer_;
  std::filesystem::path weights_path_;  // the file identity() hashes
  std::string name_;
  std::unique_ptr<BertModel> model_;
  kernels::DeviceChoice device_;
  std::unique_ptr<GpuForward> gpu_;  // null on the CPU
  int max_tokens_ = 0;
  int batch_size_ = 32;
  Pooling pooling_ = Pooling::Mean;
  bool normalize_ = false;
  std::mutex mutex_;
  mutable std::once_flag identity_once_;
  mutable std::string identity_;
};

}  // namespace pgpp::embed
