#pragma once
// `pgpp bench <what>`: the numbers that matter, as one machine-readable table. Each benchmark
// adds itself to the `bench` subcommand from its own file (bench_encoder.cpp, later
// bench_decoder.cpp ...), so this file never grows with them.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace pgpp::app {

void add_bench_command(CLI::App& app);

// One measured figure: a row of the table.
struct BenchRow {
  std::string bench;   // e.g. encoder
  std::string metric;  // e.g. passages_per_s
  std::string setting; // e.g. tokens=128 batch=32 threads=2
  double value = 0;
  std::string unit;
};

// Peak resident memory of this process so far (getrusage ru_maxrss), in MiB.
double peak_memory_mib();
// Prints rows as an aligned table, or as a JSON array when json is set.
void print_bench_rows(const std::vector<BenchRow>& rows, bool json);

// Defined in bench_encoder.cpp.
void add_bench_encoder(CLI::App& bench);

}  // namespace pgpp::app
