#pragma once
// Chat prompts for the model families we run. We don't run Jinja: a GGUF's
// tokenizer.chat_template is recognised by its markers and rendered by our own code, which
// reproduces the official templates' output (tests compare with transformers' rendering).
//   ChatML  (<|im_start|>): Qwen2/2.5, SmolLM/SmolLM2 — with the template's default system
//           message when the conversation has none (SmolLM2: "You are a helpful AI assistant
//           named SmolLM, trained by Hugging Face"), read from the template text itself.
//   Llama3  (<|start_header_id|>): Llama 3.x — starts with <|begin_of_text|>.
//   Llama2  ([INST]): Llama 2 chat, Mistral, TinyLlama-style [INST] prompts — <s>[INST] ... [/INST].
// The rendered prompt contains the BOS text where the template puts it: encode it with
// parse_special = true and add_bos = false.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/gguf_file.h"

namespace pgpp::llm {

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
};

enum class ChatFormat { ChatML, Llama3, Llama2 };

class ChatTemplate {
 public:
  // Recognises the file's tokenizer.chat_template. Throws pgpp::Error naming the file and the
  // template's beginning when it is missing or unknown, saying how to choose one by name.
  static ChatTemplate from_gguf(const kernels::GgufFile& file);
  // "chatml" | "llama3" | "llama2"; anything else throws pgpp::Error listing the names.
  static ChatTemplate by_name(std::string_view name);
  // Like from_gguf() for a template's text; `source` names where it came from in errors.
  static ChatTemplate from_template_text(std::string_view jinja, std::string_view source);

  ChatFormat format() const { return format_; }
  std::string name() const;
  // The system message used when a conversation has none (empty: none is added).
  const std::string& default_system() const { return default_system_; }

  // The prompt for `messages`; with `add_generation_prompt`, ends where the assistant's reply
  // begins. Throws pgpp::Error for a conversation the format cannot express (Llama 2: roles
  // must alternate user/assistant after an optional system message).
  std::string apply(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  // Text that ends the assistant's turn, for stopping generation when the model writes it as
  // plain text rather than as its end-of-turn token.
  std::vector<std::string> stop_strings() const;

 private:
  explicit ChatTemplate(ChatFormat format) : format_(format) {}

  ChatFormat format_;
  std::string default_system_;
};

// The option people use to choose a chat format by name (for error messages).
inline constexpr std::string_view kChatTemplateOptionHint = "--chat-template chatml|llama3|llama2";

}  // namespace pgpp::llm
