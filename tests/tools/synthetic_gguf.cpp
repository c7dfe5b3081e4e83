#include "tests/tools/synthetic_gguf.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numbers>
#include <stdexcept>
#include <variant>

#include "kernels/dtype.h"
#include "kernels/float16.h"
#include "kernels/gguf_file.h"
#include "tests/common/gguf_writer.h"

namespace pgpp::test {

namespace {

using kernels::DType;

constexpr const char* kLlama3Template =
    "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + "
    "'<|end_header_id|>\\n\\n' + "
    "m['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
constexpr const char* kChatMlTemplate =
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' "
    "}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

// Model shapes per the models' config.json files (Hugging Face meta-llama/Llama-3.2-1B and
// Qwen/Qwen2.5-0.5B).
SyntheticModelSpec llama_3_2_1b() {
  SyntheticModelSpec s;
  s.name = "Llama-3.2-1B (synthetic, random weights)";
  s.architecture = "llama";
  s.vocab_file = "ggml-vocab-llama-bpe.gguf";
  s.n_vocab = 128256;
  s.n_layer = 16;
  s.n_embd = 2048;
  s.n_ff = 8192;
  s.n_head = 32;
  s.n_head_kv = 8;
  s.context_length = 131072;
  s.rope_theta = 500000.0;
  s.rope_llama3_factor = 32.0;
  s.rope_llama3_low_freq_factor = 1.0;
  s.rope_llama3_high_freq_factor = 4.0;
  s.rope_llama3_original_context = 8192;
  s.chat_template = kLlama3Template;
  return s;
}

// meta-llama/Llama-3.1-8B: the size the GPU backend's bandwidth goal is stated for. Its output
// matrix is separate from the embedding.
SyntheticModelSpec llama_3_1_8b() {
  SyntheticModelSpec s = llama_3_2_1b();
  s.name = "Llama-3.1-8B (synthetic, random weights)";
  s.n_layer = 32;
  s.n_embd = 4096;
  s.n_ff = 14336;
  s.n_head = 32;
  s.n_head_kv = 8;
  s.rope_llama3_factor = 8.0;
  s.tied_embeddings = false;
  return s;
}

SyntheticModelSpec qwen2_5_0_5b() {
  SyntheticModelSpec s;
  s.name = "Qwen2.5-0.5B (synthetic, random weights)";
  s.architecture = "qwen2";
  s.vocab_file = "ggml-vocab-qwen2.gguf";
  s.n_vocab = 151936;
  s.n_layer = 24;
  s.n_embd = 896;
  s.n_ff = 4864;
  s.n_head = 14;
  s.n_head_kv = 2;
  s.context_length = 32768;
  s.rope_theta = 1000000.0;
  s.rms_eps = 1e-6;
  s.qkv_bias = true;
  s.chat_template = kChatMlTemplate;
  return s;
}

// splitmix64: fast, and the same bytes for the same seed on every machine.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  void fill(uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; i += 8) {
      const uint64_t r = next();
      std::memcpy(p + i, &r, std::min<std::size_t>(8, n - i));
    }
  }
  // Uniform in [-1, 1).
  float uniform() {
    return static_cast<float>(static_cast<double>(next() >> 11) * 0x1.0p-53 * 2.0 - 1.0);
  }

 private:
  uint64_t state_;
};

void put_f16(uint8_t* p, float v) {
  const uint16_t h = kernels::fp32_to_fp16(v);
  std::memcpy(p, &h, 2);
}

// Standard deviation of a uniformly random code of `levels` values, and the root mean square of
// a uniformly random 6-bit (0..63) or signed 8-bit scale: what each format's scale is divided by
// so that a weight's standard deviation comes out as asked.
double uniform_code_std(int levels) {
  return std::sqrt((levels * levels - 1) / 12.0);
}
constexpr double kRms6BitScale = 36.5;  // sqrt(31.5^2 + (64^2 - 1) / 12)
constexpr double kRmsInt8 = 73.9;       // sqrt((256^2 - 1) / 12)

// A matrix of random codes in `type`, its weights' standard deviation about `sigma`.
std::string random_matrix(DType type, int64_t cols, int64_t rows, double sigma, Random& rng) {
  const auto traits = kernels::dtype_traits(type);
  const std::size_t bytes = kernels::row_bytes(type, cols) * static_cast<std::size_t>(rows);
  std::string data(bytes, '\0');
  auto* p = reinterpret_cast<uint8_t*>(data.data());
  rng.fill(p, bytes);
  const std::size_t blocks = bytes / static_cast<std::size_t>(traits.block_bytes);
  for (std::size_t b = 0; b < blocks; ++b) {
    uint8_t* blk = p + b * static_cast<std::size_t>(traits.block_bytes);
    // Scales vary by +-25 % from block to block, as real ones do.
    const double jitter = 1.0 + 0.25 * rng.uniform();
    switch (type) {
      case DType::Q4_0:  // d @0, 4-bit codes (value - 8)
        put_f16(blk, static_cast<float>(sigma * jitter / uniform_code_std(16)));
        break;
      case DType::Q5_0:  // d @0, 5-bit codes (value - 16)
        put_f16(blk, static_cast<float>(sigma * jitter / uniform_code_std(32)));
        break;
      case DType::Q8_0:  // d @0, int8 codes
        put_f16(blk, static_cast<float>(sigma * jitter / kRmsInt8));
        break;
      case DType::Q4_K: {  // d @0, dmin @2; w = d*sc*q - dmin*m with 6-bit sc, m: dmin centres q
        const double d = sigma * jitter / (kRms6BitScale * uniform_code_std(16));
        put_f16(blk, static_cast<float>(d));
        put_f16(blk + 2, static_cast<float>(d * 7.5));
        break;
      }
      case DType::Q6_K:  // d @208, int8 scales, 6-bit codes (value - 32)
        put_f16(blk + 208, static_cast<float>(sigma * jitter / (kRmsInt8 * uniform_code_std(64))));
        break;
      default:
        throw std::invalid_argument("synthetic weights: no generator for " +
                                    std::string(kernels::dtype_name(type)));
    }
  }
  return data;
}

std::string f32_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::vector<float> around(int64_t n, float centre, float spread, Random& rng) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = centre + spread * rng.uniform();
  return v;
}

// llama.cpp's use_more_bits(): the first and last eighth of the layers and every third between.
bool use_more_bits(int64_t layer, int64_t n_layers) {
  return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

// A K-quant needs rows of whole 256-weight super-blocks; otherwise llama.cpp's fallback.
DType fit_row(DType type, int64_t cols) {
  if (cols % 256 == 0) return type;
  if (type == DType::Q4_K) return DType::Q5_0;
  if (type == DType::Q6_K) return DType::Q8_0;
  return type;
}

struct Mix {
  uint32_t file_type;  // llama_ftype: 2 = MOSTLY_Q4_0, 15 = MOSTLY_Q4_K_M
  DType base;
  bool k_mix;
};

Mix mix_of(const std::string& quant) {
  if (quant == "q4_0") return {2, DType::Q4_0, false};
  if (quant == "q4_k_m") return {15, DType::Q4_K, true};
  throw std::invalid_argument("unknown quantization mix '" + quant + "' (known: q4_0, q4_k_m)");
}

// The tied embedding doubles as the output matrix, which llama.cpp's quantizer keeps at Q6_K in
// every mix below 8 bits.
DType embedding_type(int64_t cols) {
  return fit_row(DType::Q6_K, cols);
}

DType layer_type(const Mix& mix, const std::string& tensor, int64_t layer, int64_t n_layers,
                 int64_t cols) {
  if (mix.k_mix && (tensor == "attn_v" || tensor == "ffn_down") && use_more_bits(layer, n_layers)) {
    return fit_row(DType::Q6_K, cols);
  }
  return fit_row(mix.base, cols);
}

// Copies one metadata value in the narrow types llama.cpp's converter writes (u32 counts and
// ids, i32 arrays, f32 numbers): our reader widens them, llama.cpp checks them.
void copy_value(GgufWriter& w, const std::string& key, const kernels::GgufValue& v) {
  if (const auto* u = std::get_if<uint64_t>(&v)) {
    w.add_u32(key, static_cast<uint32_t>(*u));
  } else if (const auto* i = std::get_if<int64_t>(&v)) {
    w.add_i32(key, static_cast<int32_t>(*i));
  } else if (const auto* d = std::get_if<double>(&v)) {
    w.add_f32(key, static_cast<float>(*d));
  } else if (const auto* b = std::get_if<bool>(&v)) {
    w.add_bool(key, *b);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    w.add_string(key, *s);
  } else if (const auto* ai = std::get_if<std::vector<int64_t>>(&v)) {
    w.add_i32s(key, std::vector<int32_t>(ai->begin(), ai->end()));
  } else if (const auto* ad = std::get_if<std::vector<double>>(&v)) {
    w.add_f32s(key, std::vector<float>(ad->begin(), ad->end()));
  } else if (const auto* as = std::get_if<std::vector<std::string>>(&v)) {
    w.add_strings(key, *as);
  }
}

// The tokenizer.* entries of the vocab file, the token list padded to n_vocab the way the
// converter pads Qwen's (ids past the tokenizer's own are "[PAD<id>]", user-defined).
void copy_tokenizer(GgufWriter& w, const std::filesystem::path& vocab, int64_t n_vocab,
                    const std::string& chat_template) {
  if (!std::filesystem::exists(vocab)) {
    throw std::runtime_error(vocab.string() +
                             ": missing (packaging/setup.sh installs llama.cpp's vocab files)");
  }
  const kernels::GgufFile f(vocab);
  const auto& tokens = f.get_strings("tokenizer.ggml.tokens");
  const auto have = static_cast<int64_t>(tokens.size());
  if (have > n_vocab) {
    throw std::runtime_error(vocab.string() + ": " + std::to_string(have) +
                             " tokens, more than the model's " + std::to_string(n_vocab));
  }
  for (const auto& [key, value] : f.metadata()) {
    if (key.rfind("tokenizer.", 0) != 0) continue;
    if (key == "tokenizer.ggml.tokens") {
      std::vector<std::string> padded = tokens;
      for (int64_t id = have; id < n_vocab; ++id)
        padded.push_back("[PAD" + std::to_string(id) + "]");
      w.add_strings(key, padded);
    } else if (key == "tokenizer.ggml.token_type") {
      std::vector<int32_t> types(f.get_ints(key).begin(), f.get_ints(key).end());
      types.resize(static_cast<std::size_t>(n_vocab), 4);  // 4: user-defined
      w.add_i32s(key, types);
    } else if (key == "tokenizer.ggml.scores") {
      std::vector<float> scores(f.get_floats(key).begin(), f.get_floats(key).end());
      scores.resize(static_cast<std::size_t>(n_vocab), 0.0f);
      w.add_f32s(key, scores);
    } else {
      copy_value(w, key, value);
    }
  }
  if (!f.has("tokenizer.chat_template") && !chat_template.empty()) {
    w.add_string("tokenizer.chat_template", chat_template);
  }
}

// Llama 3.1's rope_freqs: per frequency pair, the divisor of its frequency (per Meta's
// apply_scaling(): long wavelengths slowed by `factor`, short ones kept, a smooth ramp between).
std::vector<float> llama3_rope_factors(const SyntheticModelSpec& s, int64_t head_dim) {
  std::vector<float> out;
  const double low_wavelen =
      static_cast<double>(s.rope_llama3_original_context) / s.rope_llama3_low_freq_factor;
  const double high_wavelen =
      static_cast<double>(s.rope_llama3_original_context) / s.rope_llama3_high_freq_factor;
  for (int64_t i = 0; i < head_dim; i += 2) {
    const double freq =
        1.0 / std::pow(s.rope_theta, static_cast<double>(i) / static_cast<double>(head_dim));
    const double wavelen = 2.0 * std::numbers::pi / freq;
    double factor = 1.0;
    if (wavelen > low_wavelen) {
      factor = s.rope_llama3_factor;
    } else if (wavelen >= high_wavelen) {
      const double smooth = (static_cast<double>(s.rope_llama3_original_context) / wavelen -
                             s.rope_llama3_low_freq_factor) /
                            (s.rope_llama3_high_freq_factor - s.rope_llama3_low_freq_factor);
      factor = 1.0 / ((1.0 - smooth) / s.rope_llama3_factor + smooth);
    }
    out.push_back(static_cast<float>(factor));
  }
  return out;
}

std::filesystem::path default_vocab_dir() {
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : ".") / ".local/share/pgpp/models/llama-vocabs";
}

}  // namespace

SyntheticModelSpec synthetic_model_spec(const std::string& preset) {
  if (preset == "llama-3.2-1b") return llama_3_2_1b();
  if (preset == "llama-3.1-8b") return llama_3_1_8b();
  if (preset == "qwen2.5-0.5b") return qwen2_5_0_5b();
  throw std::invalid_argument("unknown model '" + preset + "' (known: llama-3.2-1b, llama-3.1-8b, qwen2.5-0.5b)");
}

std::vector<std::string> synthetic_model_presets() {
  return {"llama-3.2-1b", "llama-3.1-8b", "qwen2.5-0.5b"};
}
std::vector<std::string> synthetic_quant_mixes() {
  return {"q4_0", "q4_k_m"};
}

uint64_t write_synthetic_gguf(const SyntheticModelSpec& spec, const SyntheticWriteOptions& options,
                              const std::filesystem::path& out) {
  const Mix mix = mix_of(options.quant);
  const int64_t L = options.n_layer > 0 ? options.n_layer : spec.n_layer;
  const int64_t E = spec.n_embd, F = spec.n_ff, head_dim = spec.n_embd / spec.n_head;
  const int64_t Q = spec.n_head * head_dim, KV = spec.n_head_kv * head_dim;
  const std::string a = spec.architecture + ".";
  Random rng(options.seed);
  GgufWriter w;

  w.add_string("general.architecture", spec.architecture);
  w.add_string("general.name",
               spec.name + (L != spec.n_layer ? ", " + std::to_string(L) + " layers" : ""));
  w.add_u32("general.file_type", mix.file_type);
  w.add_u32("general.quantization_version", 2);
  w.add_u32(a + "block_count", static_cast<uint32_t>(L));
  w.add_u32(a + "context_length", static_cast<uint32_t>(spec.context_length));
  w.add_u32(a + "embedding_length", static_cast<uint32_t>(E));
  w.add_u32(a + "feed_forward_length", static_cast<uint32_t>(F));
  w.add_u32(a + "attention.head_count", static_cast<uint32_t>(spec.n_head));
  w.add_u32(a + "attention.head_count_kv", static_cast<uint32_t>(spec.n_head_kv));
  w.add_f32(a + "rope.freq_base", static_cast<float>(spec.rope_theta));
  w.add_f32(a + "attention.layer_norm_rms_epsilon", static_cast<float>(spec.rms_eps));
  w.add_u32(a + "rope.dimension_count", static_cast<uint32_t>(head_dim));
  w.add_u32(a + "vocab_size", static_cast<uint32_t>(spec.n_vocab));
  const std::filesystem::path vocab_dir =
      options.vocab_dir.empty() ? default_vocab_dir() : options.vocab_dir;
  copy_tokenizer(w, vocab_dir / spec.vocab_file, spec.n_vocab, spec.chat_template);

  // A linear layer's weights ~ 1/sqrt(inputs) keep its output the size of its input; the
  // embedding's rows then have norm ~1, and the tied output gives logits of standard deviation ~1.
  const auto sigma = [](int64_t cols) { return 1.0 / std::sqrt(static_cast<double>(cols)); };
  const auto u64 = [](int64_t x) { return static_cast<uint64_t>(x); };
  const auto matrix = [&](const std::string& name, DType type, int64_t cols, int64_t rows) {
    w.add_tensor(name, {u64(cols), u64(rows)}, static_cast<uint32_t>(type),
                 random_matrix(type, cols, rows, sigma(cols), rng));
  };
  const auto vector = [&](const std::string& name, std::vector<float> v) {
    w.add_tensor(name, {u64(static_cast<int64_t>(v.size()))}, static_cast<uint32_t>(DType::F32),
                 f32_bytes(v));
  };

  // An embedding that is only looked up (not tied to the output) takes the mix's base type.
  matrix("token_embd.weight", spec.tied_embeddings ? embedding_type(E) : fit_row(mix.base, E), E, spec.n_vocab);
  if (!spec.tied_embeddings) matrix("output.weight", embedding_type(E), E, spec.n_vocab);
  vector("output_norm.weight", around(E, 1.0f, 0.1f, rng));
  if (spec.rope_llama3_factor > 0) vector("rope_freqs.weight", llama3_rope_factors(spec, head_dim));
  for (int64_t l = 0; l < L; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    vector(p + "attn_norm.weight", around(E, 1.0f, 0.1f, rng));
    matrix(p + "attn_q.weight", layer_type(mix, "attn_q", l, L, E), E, Q);
    matrix(p + "attn_k.weight", layer_type(mix, "attn_k", l, L, E), E, KV);
    matrix(p + "attn_v.weight", layer_type(mix, "attn_v", l, L, E), E, KV);
    if (spec.qkv_bias) {
      vector(p + "attn_q.bias", around(Q, 0.0f, 0.1f, rng));
      vector(p + "attn_k.bias", around(KV, 0.0f, 0.1f, rng));
      vector(p + "attn_v.bias", around(KV, 0.0f, 0.1f, rng));
    }
    matrix(p + "attn_output.weight", layer_type(mix, "attn_output", l, L, Q), Q, E);
    vector(p + "ffn_norm.weight", around(E, 1.0f, 0.1f, rng));
    matrix(p + "ffn_gate.weight", layer_type(mix, "ffn_gate", l, L, E), E, F);
    matrix(p + "ffn_up.weight", layer_type(mix, "ffn_up", l, L, E), E, F);
    matrix(p + "ffn_down.weight", layer_type(mix, "ffn_down", l, L, F), F, E);
  }
  w.write(out);
  return std::filesystem::file_size(out);
}

}  // namespace pgpp::test
