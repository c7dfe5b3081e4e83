#pragma once
// Synthetic decoder GGUF files: random weights in the real shapes of a published model, with a
// real tokenizer copied from a vocab-only GGUF (the llama.cpp ggml-vocab-*.gguf files), so that
// speed and loading can be measured on models we cannot ship. The weights are random quantized
// codes with scales chosen so that every linear layer keeps its input's magnitude: the model
// says nothing sensible, but its activations stay finite and its cost is the real one.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pgpp::test {

// What llama.cpp's converter writes for a model, reduced to what shapes and loading depend on.
struct SyntheticModelSpec {
  std::string name;          // general.name
  std::string architecture;  // "llama" | "qwen2"
  std::string vocab_file;    // file name under the llama-vocabs folder
  int64_t n_vocab = 0;       // rows of token_embd (the copied token list is padded to it)
  int64_t n_layer = 0;
  int64_t n_embd = 0;
  int64_t n_ff = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t context_length = 0;
  double rope_theta = 10000.0;
  double rms_eps = 1e-5;
  bool qkv_bias = false;
  bool tied_embeddings = true;
  // Written when the vocab file has none (llama.cpp's vocab-only files carry no template). Our
  // own short Jinja rendering the model family's chat format (Llama 3 headers, or ChatML).
  std::string chat_template;
  // Llama 3.1-style frequency scaling, written as the rope_freqs tensor (factor 0: none).
  double rope_llama3_factor = 0;
  double rope_llama3_low_freq_factor = 1;
  double rope_llama3_high_freq_factor = 4;
  int64_t rope_llama3_original_context = 8192;
};

// "llama-3.2-1b", "llama-3.1-8b", "qwen2.5-0.5b"; throws std::invalid_argument for other names.
SyntheticModelSpec synthetic_model_spec(const std::string& preset);
std::vector<std::string> synthetic_model_presets();

// "q4_0": every matrix Q4_0 (llama.cpp's MOSTLY_Q4_0). "q4_k_m": llama.cpp's Q4_K_M recipe —
// Q4_K, with Q6_K for the embedding/output and for attn_v and ffn_down in the layers its
// use_more_bits rule picks; rows that are not whole 256-weight super-blocks (Qwen2.5-0.5B's
// 896) fall back to Q5_0 / Q8_0 as llama.cpp does.
std::vector<std::string> synthetic_quant_mixes();

struct SyntheticWriteOptions {
  std::string quant = "q4_0";
  int64_t n_layer = 0;  // 0: the spec's depth; fewer for fast tests (widths stay real)
  uint64_t seed = 1;
  std::filesystem::path vocab_dir;  // empty: ~/.local/share/pgpp/models/llama-vocabs
};

// Writes the file; throws std::runtime_error naming the vocab file or output when they cannot
// be read or written. Returns the number of bytes written.
uint64_t write_synthetic_gguf(const SyntheticModelSpec& spec, const SyntheticWriteOptions& options,
                              const std::filesystem::path& out);

}  // namespace pgpp::test
