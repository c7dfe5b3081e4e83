// pgpp_make_synthetic_gguf: writes a decoder GGUF with random weights in a real model's shapes
// and a real tokenizer, for speed measurements (pgpp bench decoder, llama-bench) on models we do
// not ship. See tests/tools/synthetic_gguf.h.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "kernels/error.h"
#include "tests/tools/synthetic_gguf.h"

int main(int argc, char** argv) {
  CLI::App app{"Write a synthetic decoder GGUF: random weights, real shapes, real tokenizer"};
  std::string preset = "llama-3.2-1b";
  pgpp::test::SyntheticWriteOptions options;
  std::string out;
  std::string vocab_dir;
  app.add_option("-m,--model", preset, "shapes of: llama-3.2-1b | llama-3.1-8b | qwen2.5-0.5b")
      ->capture_default_str();
  app.add_option("-q,--quant", options.quant, "q4_0 | q4_k_m (llama.cpp's mixes)")
      ->capture_default_str();
  app.add_option("-l,--layers", options.n_layer, "layers (0: the model's own)")
      ->capture_default_str();
  app.add_option("-s,--seed", options.seed, "random seed")->capture_default_str();
  app.add_option("--vocab-dir", vocab_dir,
                 "folder of llama.cpp's ggml-vocab-*.gguf (default: the installed one)");
  app.add_option("-o,--output", out, "GGUF file to write")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    options.vocab_dir = vocab_dir;
    const auto spec = pgpp::test::synthetic_model_spec(preset);
    const uint64_t bytes = pgpp::test::write_synthetic_gguf(spec, options, out);
    fmt::print("{}: {} {} ({} layers), {:.1f} MiB\n", out, preset, options.quant,
               options.n_layer > 0 ? options.n_layer : spec.n_layer,
               static_cast<double>(bytes) / (1 << 20));
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
