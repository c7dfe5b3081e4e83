#pragma once
#include <CLI/CLI.hpp>

namespace pgpp::app {

// `pgpp bench ingest FOLDER`: the ingest pipeline on a folder of PDFs (into an in-memory
// library unless --library): pages/s, passages/s, peak memory.
void add_bench_ingest(CLI::App& bench);

}  // namespace pgpp::app
