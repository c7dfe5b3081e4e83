// pgpp_device_bench: `pgpp bench decoder` and `pgpp bench encoder` alone, for the lent GPU
// machine. The same code as pgpp's subcommands, linked without the document side (FAISS,
// Poppler, SQLite...), which the device image lacks and which would not fit the carry limit.
//
//   pgpp_device_bench decoder -m FILE.gguf --device cuda
//   pgpp_device_bench encoder --device cuda --model FILE.gguf
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/cli/bench_decoder.h"
#include "app/cli/command_bench.h"
#include "kernels/error.h"

int main(int argc, char** argv) {
  CLI::App app{"The decoder and encoder benchmarks of pgpp bench"};
  app.require_subcommand(1);
  pgpp::app::add_bench_decoder(app);
  pgpp::app::add_bench_encoder(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const pgpp::Error& e) {
    fmt::print(stderr, "pgpp_device_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
