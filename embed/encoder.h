#pragma once
// The sentence encoder rag/ uses: texts in, one L2-normalized vector each out.
//
//   kernels::CpuBackend cpu;                       // created once by the program
//   embed::Encoder enc("~/.local/share/pgpp/models/all-minilm-l6-v2", cpu);
//   std::vector<float> v = enc.embed({"first passage", "second"});   // 2 x enc.dimension()
//
// A sentence-transformers folder: config.json + model.safetensors (BERT), tokenizer.json (or
// vocab.txt), sentence_bert_config.json (max_seq_length), 1_Pooling/config.json (mean or CLS)
// and modules.json (Normalize or not). Texts longer than max_tokens() are truncated, as the
// reference does, with a warning. Texts are sorted by length and cut into batches, and each
// batch is packed without padding. Calls from several threads are serialized (one mutex): the
// backend's pool does one job at a time anyway.
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

  // Throws pgpp::Error naming the file and what is missing or malformed.
  Encoder(const std::filesystem::path& folder, kernels::CpuBackend& cpu);
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
  // "<folder name>@sha256:<hex of model.safetensors>", hashed on first use, then kept.
  std::string identity() const;

  Pooling pooling() const { return pooling_; }
  bool normalizes() const { return normalize_; }
  const WordPieceTokenizer& tokenizer() const { return tokenizer_; }
  // Sequences per batch (default 32).
  void set_batch_size(int n) { batch_size_ = n > 0 ? n : 1; }

 private:
  std::filesystem::path folder_;
  kernels::CpuBackend& cpu_;
  WordPieceTokenizer tokenizer_;
  std::unique_ptr<BertModel> model_;
  int max_tokens_ = 0;
  int batch_size_ = 32;
  Pooling pooling_ = Pooling::Mean;
  bool normalize_ = false;
  std::mutex mutex_;
  mutable std::once_flag identity_once_;
  mutable std::string identity_;
};

}  // namespace pgpp::embed
