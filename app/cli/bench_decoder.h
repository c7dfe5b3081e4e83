#pragma once
#include <CLI/CLI.hpp>

namespace pgpp::app {

// `pgpp bench decoder`: prompt processing (pp512) and generation (tg128) speed of a GGUF
// decoder, as llama.cpp's llama-bench measures them.
void add_bench_decoder(CLI::App& bench);

}  // namespace pgpp::app
