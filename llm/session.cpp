#include "llm/session.h"

#include <algorithm>
#include <utility>

#include "kernels/error.h"
#include "llm/streaming_detokenizer.h"

namespace pgpp::llm {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Holds back streamed text that might be the start of a stop string, releases it once it
// cannot be, and finds the first complete stop string.
class StopFilter {
 public:
  explicit StopFilter(std::vector<std::string> stops) : stops_(std::move(stops)) {
    std::erase_if(stops_, [](const std::string& s) { return s.empty(); });
  }

  // Adds `piece`; returns the text now safe to show. Sets stopped() when a stop string appeared
  // (the returned text then ends right before it).
  std::string push(std::string_view piece) {
    pending_ += piece;
    std::size_t cut = std::string::npos;
    for (const std::string& s : stops_) cut = std::min(cut, pending_.find(s));
    if (cut != std::string::npos) {
      stopped_ = true;
      std::string out = pending_.substr(0, cut);
      pending_.clear();
      return out;
    }
    // The longest tail of pending_ that is a proper prefix of some stop string stays back.
    std::size_t keep = 0;
    for (const std::string& s : stops_) {
      for (std::size_t n = std::min(s.size() - 1, pending_.size()); n > keep; --n) {
        if (pending_.compare(pending_.size() - n, n, s, 0, n) == 0) {
          keep = n;
          break;
        }
      }
    }
    std::string out = pending_.substr(0, pending_.size() - keep);
    pending_.erase(0, pending_.size() - keep);
    return out;
  }
  std::string flush() { return std::exchange(pending_, {}); }
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;
  bool stopped_ = false;
};

ChatTemplate pick_template(const LlamaModel& model, const SessionOptions& o) {
  if (!o.chat_format.empty()) return ChatTemplate::by_name(o.chat_format);
  return ChatTemplate::from_gguf(model.file());
}

}  // namespace

std::string_view stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::EndOfGeneration:
      return "end of generation";
    case StopReason::StopString:
      return "stop string";
    case StopReason::MaxTokens:
      return "token limit";
    case StopReason::ContextFull:
      return "context full";
    case StopReason::Cancelled:
      return "cancelled";
  }
  return "unknown";
}

double GenerationResult::prefill_tokens_per_second() const {
  const double n = static_cast<double>(prompt_tokens - reused_tokens);
  return prefill_seconds > 0 ? n / prefill_seconds : 0;
}

double GenerationResult::decode_tokens_per_second() const {
  // The first token is chosen from the prefill's logits; the others each cost a decode step.
  const double n = static_cast<double>(std::max<int64_t>(0, generated_tokens - 1));
  return decode_seconds > 0 ? n / decode_seconds : 0;
}

Session::Session(const LlamaModel& model, kernels::CpuBackend& cpu, SessionOptions options)
    : options_(std::move(options)),
      tokenizer_(Tokenizer::from_gguf(model.file())),
      template_(pick_template(model, options_)),
      runner_(make_decoder_runner(model, cpu, options_.device, options_.context)) {}

std::vector<int32_t> Session::encode_chat(const std::vector<ChatMessage>& messages) const {
  // The rendered prompt already holds the BOS text where the template wants it.
  return tokenizer_->encode(template_.apply(messages, /*add_generation_prompt=*/true),
                            /*add_bos=*/false,
                            /*parse_special=*/true);
}

int64_t Session::count_tokens(const std::vector<ChatMessage>& messages) const {
  return static_cast<int64_t>(encode_chat(messages).size());
}

GenerationResult Session::chat(const std::vector<ChatMessage>& messages,
                               const TextCallback& on_text, std::stop_token stop) {
  return generate(encode_chat(messages), on_text, stop);
}

GenerationResult Session::complete(std::string_view text, const TextCallback& on_text,
                                   std::stop_token stop) {
  return generate(
      tokenizer_->encode(text, tokenizer_->add_bos_by_default(), /*parse_special=*/false), on_text,
      stop);
}

GenerationResult Session::generate(const std::vector<int32_t>& prompt, const TextCallback& on_text,
                                   std::stop_token stop) {
  GenerationResult r;
  r.prompt_tokens = static_cast<int64_t>(prompt.size());
  if (prompt.empty()) throw Error("empty prompt: nothing to continue");
  if (r.prompt_tokens >= runner_->capacity()) {
    throw Error("the prompt has " + std::to_string(r.prompt_tokens) +
                " tokens; the context holds " + std::to_string(runner_->capacity()) +
                " (shorten the prompt or raise the context length)");
  }
  const auto t0 = Clock::now();
  // Keep the cached prefix shared with this prompt; at least the last prompt token runs again,
  // since its logits choose the first new token.
  const int64_t keep = std::min(runner_->common_prefix(prompt), r.prompt_tokens - 1);
  runner_->truncate(keep);
  r.reused_tokens = keep;

  for (int64_t b = keep; b < r.prompt_tokens; b += options_.batch_size) {
    if (stop.stop_requested()) {
      r.stop = StopReason::Cancelled;
      r.prefill_seconds = seconds_since(t0);
      return r;
    }
    const int64_t e = std::min(r.prompt_tokens, b + options_.batch_size);
    runner_->forward(std::span<const int32_t>(prompt).subspan(static_cast<std::size_t>(b),
                                                              static_cast<std::size_t>(e - b)),
                     options_.batch_size);
  }

  Sampler sampler(options_.sampling);
  // Greedy decoding (penalties included) needs only the chosen token, which the GPU runner
  // finds without copying the logits back.
  const bool greedy = options_.sampling.temperature <= 0;
  std::vector<int32_t> history = prompt;
  StreamingDetokenizer detok(*tokenizer_);
  std::vector<std::string> stops = template_.stop_strings();
  stops.insert(stops.end(), options_.stop_strings.begin(), options_.stop_strings.end());
  StopFilter filter(std::move(stops));
  auto emit = [&](const std::string& piece) {
    if (piece.empty()) return;
    r.text += piece;
    if (on_text) on_text(piece);
  };

  Clock::time_point t1 = Clock::now();
  bool first = true;
  while (true) {
    if (stop.stop_requested()) {
      r.stop = StopReason::Cancelled;
      break;
    }
    if (r.generated_tokens >= options_.max_tokens) {
      r.stop = StopReason::MaxTokens;
      break;
    }
    const int32_t next = greedy ? runner_->pick_greedy(sampler, history)
                                : sampler.sample(runner_->logits(), history);
    ++r.generated_tokens;
    if (first) {
      r.prefill_seconds = seconds_since(t0);
      t1 = Clock::now();
      first = false;
    }
    if (tokenizer_->is_end_of_generation(next)) {
      r.stop = StopReason::EndOfGeneration;
      break;
    }
    history.push_back(next);
    emit(filter.push(detok.push(next)));
    if (filter.stopped()) {
      r.stop = StopReason::StopString;
      break;
    }
    if (runner_->size() >= runner_->capacity()) {
      r.stop = StopReason::ContextFull;
      break;
    }
    if (r.generated_tokens >= options_.max_tokens) {
      r.stop = StopReason::MaxTokens;
      break;
    }
    if (stop.stop_requested()) {
      r.stop = StopReason::Cancelled;
      break;
    }
    runner_->forward(std::span<const int32_t>(&next, 1), 1);
  }
  if (first)
    r.prefill_seconds = seconds_since(t0);
  else
    r.decode_seconds = seconds_since(t1);
  if (!filter.stopped()) emit(filter.push(detok.flush()) + filter.flush());
  return r;
}

}  // namespace pgpp::llm
