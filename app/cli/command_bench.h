#pragma once
#include <CLI/CLI.hpp>

namespace pgpp::app {

// `pgpp bench <what>`: speed figures as one table.
void add_bench_command(CLI::App& app);

}  // namespace pgpp::app
