#pragma once
// The --device option every command that runs a model takes (see kernels/device.h).
#include <CLI/CLI.hpp>

#include "kernels/device.h"

namespace pgpp::app {

// Adds `--device auto|cpu|cuda` (default auto) to `cmd`, parsed into `device`; `what` names what
// runs there ("the decoder", "the encoder", "the models"). A misspelt device is an error that
// names the accepted ones.
void add_device_option(CLI::App& cmd, kernels::Device& device, const std::string& what);

}  // namespace pgpp::app
