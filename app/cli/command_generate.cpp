#include "app/cli/command_generate.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "app/cli/device_option.h"
#include "app/model_locations.h"
#include "kernels/cpu_backend.h"
#include "kernels/device.h"
#include "llm/llama_model.h"

namespace pgpp::app {

void add_decoder_options(CLI::App& cmd, DecoderCliOptions& o) {
  o.model = default_decoder_path().string();
  llm::SamplerParams& s = o.session.sampling;
  cmd.add_option("-m,--model", o.model, "GGUF decoder file")->capture_default_str();
  cmd.add_option("-t,--threads", o.threads, "compute threads (0: one per hardware thread)")->capture_default_str();
  add_device_option(cmd, o.session.device, "the models");
  cmd.add_option("-c,--context", o.session.context, "context length in tokens (at most the model's)")
      ->capture_default_str();
  cmd.add_option("-n,--max-tokens", o.session.max_tokens, "new tokens per reply at most")->capture_default_str();
  cmd.add_option("--temperature,--temp", s.temperature, "sampling temperature (0: greedy)")->capture_default_str();
  cmd.add_option("--top-k", s.top_k, "keep the k most likely tokens (0: all)")->capture_default_str();
  cmd.add_option("--top-p", s.top_p, "keep the most likely tokens up to this probability mass")
      ->capture_default_str();
  cmd.add_option("--min-p", s.min_p, "drop tokens less likely than this times the best one")
      ->capture_default_str();
  cmd.add_option("--repeat-penalty", s.repeat_penalty, "penalty for recent tokens (1: off)")->capture_default_str();
  cmd.add_option("--presence-penalty", s.presence_penalty, "subtracted from recent tokens' logits")
      ->capture_default_str();
  cmd.add_option("--frequency-penalty", s.frequency_penalty, "subtracted per occurrence of a recent token")
      ->capture_default_str();
  cmd.add_option("--penalty-last-n", s.penalty_last_n, "how many recent tokens the penalties see (-1: all)")
      ->capture_default_str();
  cmd.add_option("-s,--seed", s.seed, "random seed (the same seed gives the same text)")->capture_default_str();
  cmd.add_option("--stop", o.session.stop_strings, "stop when this text appears (repeatable)");
  cmd.add_option("--chat-template", o.chat_format, "chatml, llama3, llama2, mistral, mistral-v3 or zephyr (default: recognised from the model)");
  cmd.add_flag("--stats", o.stats, "print token counts and speeds to stderr at the end");
}

namespace {

struct GenerateArgs {
  DecoderCliOptions decoder;
  std::string prompt;
  std::string system;
  bool raw = false;
};

void print_stats(const llm::GenerationResult& r, const std::string& device) {
  fmt::print(stderr,
             "[{} prompt tokens ({} reused), {} generated; prefill {:.1f} tok/s, decode {:.1f} tok/s; stop: {}; on {}]\n",
             r.prompt_tokens, r.reused_tokens, r.generated_tokens, r.prefill_tokens_per_second(),
             r.decode_tokens_per_second(), llm::stop_reason_name(r.stop), device);
}

void run_generate(const GenerateArgs& a) {
  auto model = llm::LlamaModel::load(a.decoder.model);
  kernels::CpuBackend cpu(a.decoder.threads);
  llm::SessionOptions opts = a.decoder.session;
  opts.chat_format = a.decoder.chat_format;
  llm::Session session(*model, cpu, opts);
  auto print = [](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  };
  llm::GenerationResult r;
  if (a.raw) {
    print(a.prompt);
    r = session.complete(a.prompt, print);
  } else {
    std::vector<llm::ChatMessage> messages;
    if (!a.system.empty()) messages.push_back({"system", a.system});
    messages.push_back({"user", a.prompt});
    r = session.chat(messages, print);
  }
  fmt::print("\n");
  std::fflush(stdout);
  if (a.decoder.stats) print_stats(r, session.device_description());
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "Generate text from a prompt with the decoder, streamed");
  cmd->add_option("prompt", args->prompt, "the prompt (a user message, or plain text with --raw)")->required();
  cmd->add_flag("--raw", args->raw, "continue the text as it is, without the chat template");
  cmd->add_option("--system", args->system, "system prompt (chat mode)");
  add_decoder_options(*cmd, args->decoder);
  cmd->callback([args] { run_generate(*args); });
}

}  // namespace pgpp::app
