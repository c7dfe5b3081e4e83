#pragma once
#include <CLI/CLI.hpp>

namespace pgpp::app {

// `pgpp chat`: an interactive conversation on the terminal, streamed; /reset starts over,
// Ctrl-D quits.
void add_chat_command(CLI::App& app);

}  // namespace pgpp::app
