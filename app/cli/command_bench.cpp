#include "app/cli/command_bench.h"

#include "app/cli/bench_decoder.h"

namespace pgpp::app {

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Measure speed (tokens/s, passages/s, ...)");
  bench->require_subcommand(1);
  add_bench_decoder(*bench);
}

}  // namespace pgpp::app
