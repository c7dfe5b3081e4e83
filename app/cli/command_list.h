#pragma once
#include <CLI/CLI.hpp>

namespace pgpp::app {

// `pgpp list`: the library's documents (id, pages, passages, status, path).
void add_list_command(CLI::App& app);

}  // namespace pgpp::app
