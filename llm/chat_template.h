#pragma once
// Chat prompts for the model families we run. We don't run Jinja: a GGUF's
// tokenizer.chat_template is recognised by its markers and rendered by our own code, which
// reproduces the official templates' output (tests compare with transformers' rendering).
//   ChatML  (<|im_start|>): Qwen2/2.5, SmolLM/SmolLM2 — with the template's default system
//           message when the conversation has none (SmolLM2: "You are a helpful AI assistant
//           named SmolLM, trained by Hugging Face"), read from the template text itself.
//   Llama3  (<|start_header_id|>): Llama 3.x — starts with <|begin_of_text|>.
//   Llama2  ([INST] with <<SYS>>): Llama 2 chat — <s>[INST] <<SYS>>...<</SYS>> ... [/INST].
//   Mistral ([INST] without <<SYS>>): Mistral-7B-Instruct. v0.1/v0.2 (" [INST] ... [/INST]", the
//           system message opens the first user turn) and v0.3 ("[INST] ...[/INST]", the system
//           message opens the user turn that ends the conversation) — one BOS for the whole prompt.
//   Zephyr  (<|user|> ... eos_token): TinyLlama-1.1B-Chat, Zephyr — "<|role|>\n" + text + "</s>\n";
//           the template writes no BOS.
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

enum class ChatFormat { ChatML, Llama3, Llama2, Mistral, Zephyr };

// How a Mistral template lays out its turns; the generations differ in these details only.
struct MistralLayout {
  bool space_before_inst = true;          // " [INST] " (v0.1/v0.2) or "[INST] " (v0.3, old v0.1)
  bool space_after_inst = true;           // "[INST] " + text, or "[INST]" + text (Tekken)
  bool space_before_close = true;         // " [/INST]" or "[/INST]" (v0.3)
  bool space_before_answer = true;        // " " + answer, or the answer straight after [/INST]
  bool trim_answer = false;               // v0.3 trims the assistant's text
  bool system_in_last_user = false;       // v0.3: the system text opens the final user message
  bool system_only_if_user_ends = false;  // v0.3 (loop.last): dropped when an answer ends it
};

class ChatTemplate {
 public:
  // Recognises the file's tokenizer.chat_template. Throws pgpp::Error naming the file and the
  // template's beginning when it is missing or unknown, saying how to choose one by name.
  static ChatTemplate from_gguf(const kernels::GgufFile& file);
  // "chatml" | "llama3" | "llama2" | "mistral" (v0.1/v0.2) | "mistral-v3" | "zephyr"; anything
  // else throws pgpp::Error listing the names.
  static ChatTemplate by_name(std::string_view name);
  // Like from_gguf() for a template's text; `source` names where it came from in errors.
  static ChatTemplate from_template_text(std::string_view jinja, std::string_view source);

  ChatFormat format() const { return format_; }
  std::string name() const;
  // The system message used when a conversation has none (empty: none is added).
  const std::string& default_system() const { return default_system_; }

  // The prompt for `messages`; with `add_generation_prompt`, ends where the assistant's reply
  // begins. Throws pgpp::Error for a conversation the format cannot express (Llama 2, Mistral:
  // roles must alternate user/assistant after an optional system message).
  std::string apply(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  // Text that ends the assistant's turn, for stopping generation when the model writes it as
  // plain text rather than as its end-of-turn token.
  std::vector<std::string> stop_strings() const;

 private:
  explicit ChatTemplate(ChatFormat format) : format_(format) {}

  std::string apply_llama2(const std::vector<ChatMessage>& messages) const;
  std::string apply_mistral(const std::vector<ChatMessage>& messages) const;
  std::string apply_zephyr(const std::vector<ChatMessage>& messages,
                           bool add_generation_prompt) const;

  ChatFormat format_;
  std::string default_system_;
  MistralLayout mistral_;
};

// The option people use to choose a chat format by name (for error messages).
inline constexpr std::string_view kChatTemplateOptionHint =
    "--chat-template chatml|llama3|llama2|mistral|mistral-v3|zephyr";

}  // namespace pgpp::llm
