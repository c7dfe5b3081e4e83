#pragma once
#include <CLI/CLI.hpp>

namespace pgpp::app {

// `pgpp embed TEXT...`: each text's embedding with the encoder (first values and norm).
void add_embed_command(CLI::App& app);

}  // namespace pgpp::app
