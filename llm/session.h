#pragma once
// A conversation with a decoder: what rag/ and the command line use to get an answer.
//
//   messages (+ system prompt) → chat template → tokens → prefill (reusing the KV cache for the
//   prefix shared with the previous request) → decode one token at a time → text pieces
//   streamed to a callback as they complete.
//
// Generation stops at an end-of-generation token (not shown), at a stop string (not shown; text
// that might begin one is held back until it is known not to), at max_tokens, when the context
// is full, or when the caller's stop_token is triggered (checked before every token, so a
// cancel takes effect within one token).
//
// Context policy: a prompt that does not fit the context (leaving room for at least one new
// token) is an Error that says how many tokens it has and how many fit; nothing is cut
// silently. Callers that want truncation (e.g. rag/ dropping the lowest-ranked passages) do it
// before calling, using count_tokens().
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/cpu_backend.h"
#include "kernels/device.h"
#include "llm/chat_template.h"
#include "llm/decoder_runner.h"
#include "llm/llama_model.h"
#include "llm/sampler.h"
#include "llm/tokenizer.h"

namespace pgpp::llm {

struct SessionOptions {
  int64_t context = 4096;    // KV cache length; the model's training context if smaller
  int max_tokens = 512;      // new tokens per reply
  int64_t batch_size = 256;  // prompt tokens per forward batch
  SamplerParams sampling = {};
  std::vector<std::string> stop_strings;  // besides the chat template's own
  std::string chat_format;                // "" = from the model's template, else chatml/llama3/llama2
  // Where the decoder runs (see kernels/device.h). The CUDA runner holds its own copy of the
  // weights and the KV cache on the GPU; greedy sampling without penalties then picks the
  // token on the GPU, other samplers read the last row of logits back.
  kernels::Device device = kernels::Device::Cpu;
};

enum class StopReason { EndOfGeneration, StopString, MaxTokens, ContextFull, Cancelled };
std::string_view stop_reason_name(StopReason r);

struct GenerationResult {
  std::string text;              // the reply, as streamed
  StopReason stop = StopReason::MaxTokens;
  int64_t prompt_tokens = 0;     // tokens of the prompt
  int64_t reused_tokens = 0;     // of which came from the cache (shared prefix)
  int64_t generated_tokens = 0;  // tokens sampled
  double prefill_seconds = 0;    // prompt processing, until the first new token is chosen
  double decode_seconds = 0;     // the rest
  double prefill_tokens_per_second() const;
  double decode_tokens_per_second() const;
};

// Receives each piece of text as soon as it is final (valid UTF-8, never part of a stop string).
using TextCallback = std::function<void(std::string_view piece)>;

class Session {
 public:
  // The tokenizer and chat template are read from the model's file.
  Session(const LlamaModel& model, kernels::CpuBackend& cpu, SessionOptions options = {});

  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const ChatTemplate& chat_template() const { return template_; }
  const SessionOptions& options() const { return options_; }
  SessionOptions& options() { return options_; }
  int64_t context() const { return runner_->capacity(); }
  // Where the decoder runs, e.g. "cuda (NVIDIA H100 80GB HBM3)".
  std::string device_description() const { return runner_->description(); }

  // A reply to `messages` (system prompt first if any), rendered with the chat template.
  GenerationResult chat(const std::vector<ChatMessage>& messages, const TextCallback& on_text = {},
                        std::stop_token stop = {});
  // A continuation of `text` as it is (BOS added when the model wants it).
  GenerationResult complete(std::string_view text, const TextCallback& on_text = {}, std::stop_token stop = {});
  // A continuation of these tokens.
  GenerationResult generate(const std::vector<int32_t>& prompt, const TextCallback& on_text = {},
                            std::stop_token stop = {});

  // Token count of a chat as chat() would send it (for callers that fit prompts to the context).
  int64_t count_tokens(const std::vector<ChatMessage>& messages) const;
  // Forgets the cached conversation.
  void reset() { runner_->truncate(0); }

 private:
  std::vector<int32_t> encode_chat(const std::vector<ChatMessage>& messages) const;

  SessionOptions options_;
  std::unique_ptr<Tokenizer> tokenizer_;
  ChatTemplate template_;
  std::unique_ptr<DecoderRunner> runner_;
};

}  // namespace pgpp::llm
