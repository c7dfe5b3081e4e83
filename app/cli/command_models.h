#pragma once
#include <CLI/CLI.hpp>

namespace pgpp::app {

// `pgpp models [PATH...]`: the models found (default: the models folder) and their facts.
void add_models_command(CLI::App& app);

}  // namespace pgpp::app
