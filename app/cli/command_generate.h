#pragma once
#include <CLI/CLI.hpp>

#include <string>

#include "llm/session.h"

namespace pgpp::app {

// The options `pgpp generate` and `pgpp chat` share: which model, how many threads, how much
// context, and how to sample.
struct DecoderCliOptions {
  std::string model;
  int threads = 0;
  llm::SessionOptions session;
  std::string chat_format;
  bool stats = false;
};
void add_decoder_options(CLI::App& cmd, DecoderCliOptions& o);

// `pgpp generate "prompt"`: one reply (or, with --raw, a plain continuation), streamed.
void add_generate_command(CLI::App& app);

}  // namespace pgpp::app
