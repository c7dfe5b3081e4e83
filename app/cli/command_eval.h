#pragma once
#include <CLI/CLI.hpp>

namespace pgpp::app {

// `pgpp eval QUESTIONS.jsonl`: retrieval hit@1/@5/@10 and MRR by evidence page and by answer
// string over the library; with --generate also citation accuracy and abstention. JSON output.
void add_eval_command(CLI::App& app);

}  // namespace pgpp::app
