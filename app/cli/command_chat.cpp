#include "app/cli/command_chat.h"

#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "app/cli/command_generate.h"
#include "kernels/cpu_backend.h"
#include "kernels/error.h"
#include "llm/llama_model.h"

namespace pgpp::app {

namespace {

struct ChatArgs {
  DecoderCliOptions decoder;
  std::string system;
};

void run_chat(const ChatArgs& a) {
  auto model = llm::LlamaModel::load(a.decoder.model);
  kernels::CpuBackend cpu(a.decoder.threads);
  llm::SessionOptions opts = a.decoder.session;
  opts.chat_format = a.decoder.chat_format;
  llm::Session session(*model, cpu, opts);
  fmt::print(stderr, "{} loaded; context {} tokens. /reset starts over, Ctrl-D quits.\n", model->display_name(),
             session.context());

  std::vector<llm::ChatMessage> history;
  auto start = [&] {
    history.clear();
    if (!a.system.empty()) history.push_back({"system", a.system});
  };
  start();
  std::string line;
  while (true) {
    fmt::print("> ");
    std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    if (line == "/reset") {
      start();
      session.reset();
      fmt::print(stderr, "(conversation cleared)\n");
      continue;
    }
    if (line == "/quit" || line == "/exit") break;
    history.push_back({"user", line});
    // A conversation that outgrows the context loses its oldest turns (the system prompt stays).
    const std::size_t first = a.system.empty() ? 0 : 1;
    while (history.size() > first + 1 && session.count_tokens(history) + opts.max_tokens > session.context()) {
      history.erase(history.begin() + static_cast<std::ptrdiff_t>(first));
    }
    llm::GenerationResult r;
    try {
      r = session.chat(history, [](std::string_view piece) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
      });
    } catch (const Error& e) {
      fmt::print(stderr, "pgpp: {}\n", e.what());
      history.pop_back();
      continue;
    }
    fmt::print("\n");
    std::fflush(stdout);
    history.push_back({"assistant", r.text});
    if (a.decoder.stats) {
      fmt::print(stderr, "[{} prompt tokens ({} reused), {} generated; prefill {:.1f} tok/s, decode {:.1f} tok/s]\n",
                 r.prompt_tokens, r.reused_tokens, r.generated_tokens, r.prefill_tokens_per_second(),
                 r.decode_tokens_per_second());
    }
  }
  fmt::print("\n");
  std::fflush(stdout);
}

}  // namespace

void add_chat_command(CLI::App& app) {
  auto args = std::make_shared<ChatArgs>();
  auto* cmd = app.add_subcommand("chat", "Chat with the decoder on the terminal");
  cmd->add_option("--system", args->system, "system prompt");
  add_decoder_options(*cmd, args->decoder);
  cmd->callback([args] { run_chat(*args); });
}

}  // namespace pgpp::app
