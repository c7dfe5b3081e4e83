#include "app/cli/command_bench.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include "app/cli/bench_decoder.h"
#include "app/cli/bench_ingest.h"

namespace pgpp::app {

double peak_memory_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux reports KiB
}

void print_bench_rows(const std::vector<BenchRow>& rows, bool json) {
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) {
      out.push_back({{"bench", r.bench}, {"metric", r.metric}, {"setting", r.setting}, {"value", r.value}, {"unit", r.unit}});
    }
    fmt::print("{}\n", out.dump(1));
    return;
  }
  fmt::print("{:<10} {:<18} {:<34} {:>12} {}\n", "bench", "metric", "setting", "value", "unit");
  for (const auto& r : rows) {
    fmt::print("{:<10} {:<18} {:<34} {:>12.2f} {}\n", r.bench, r.metric, r.setting, r.value, r.unit);
  }
}

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Measure speed and memory (one table; --json for machines)");
  bench->require_subcommand(1);
  add_bench_encoder(*bench);
  add_bench_decoder(*bench);
  add_bench_ingest(*bench);
}

}  // namespace pgpp::app
