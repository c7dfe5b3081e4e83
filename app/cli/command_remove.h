#pragma once
#include <CLI/CLI.hpp>

namespace pgpp::app {

// `pgpp remove DOC...`: documents (by id, file name or path) out of the library.
void add_remove_command(CLI::App& app);

}  // namespace pgpp::app
