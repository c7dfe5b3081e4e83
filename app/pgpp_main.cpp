// pgpp: the command line. Each subcommand lives in cli/command_<name>.cpp.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/cli/command_ask.h"
#include "app/cli/command_bench.h"
#include "app/cli/command_eval.h"
#include "app/cli/command_ingest.h"
#include "app/cli/command_list.h"
#include "app/cli/command_remove.h"
#include "app/cli/command_chat.h"
#include "app/cli/command_embed.h"
#include "app/cli/command_generate.h"
#include "app/cli/command_info.h"
#include "app/cli/command_models.h"
#include "kernels/error.h"

int main(int argc, char** argv) {
  CLI::App app{"PrivateGPT++: ask questions about your PDFs, privately, on this machine"};
  app.set_version_flag("--version", "pgpp 0.1.0");
  app.require_subcommand(1);
  pgpp::app::add_models_command(app);
  pgpp::app::add_info_command(app);
  pgpp::app::add_embed_command(app);
  pgpp::app::add_chat_command(app);
  pgpp::app::add_generate_command(app);
  pgpp::app::add_bench_command(app);
  pgpp::app::add_ingest_command(app);
  pgpp::app::add_ask_command(app);
  pgpp::app::add_list_command(app);
  pgpp::app::add_remove_command(app);
  pgpp::app::add_eval_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const pgpp::Error& e) {
    fmt::print(stderr, "pgpp: {}\n", e.what());
    return 1;
  }
  return 0;
}
