#pragma once
#include <CLI/CLI.hpp>

namespace pgpp::app {

// `pgpp info`: the compute this machine offers (CPU SIMD level, threads, CUDA GPU).
void add_info_command(CLI::App& app);

}  // namespace pgpp::app
