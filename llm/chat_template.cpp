#include "llm/chat_template.h"

#include "kernels/error.h"

namespace pgpp::llm {

namespace {

// Python's str.strip() / Jinja's trim for the whitespace that occurs in chat text.
std::string strip(std::string_view s) {
  const char* ws = " \t\n\r\f\v";
  const std::size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const std::size_t e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

std::string first_chars(std::string_view s, std::size_t n) {
  std::string out;
  for (const char c : s.substr(0, n)) out += (c == '\n' ? ' ' : c);
  if (s.size() > n) out += "...";
  return out;
}

// The default system message a ChatML template writes as a literal when the conversation does
// not start with one: '<|im_start|>system\n' TEXT '<|im_end|>' with no Jinja expression in TEXT.
// Templates store the line break as a real one or as the two characters \n.
std::string chatml_default_system(std::string_view t) {
  constexpr std::string_view kHead = "<|im_start|>system";
  std::size_t pos = 0;
  while ((pos = t.find(kHead, pos)) != std::string_view::npos) {
    std::size_t p = pos + kHead.size();
    pos = p;
    if (t.substr(p, 1) == "\n") {
      p += 1;
    } else if (t.substr(p, 2) == "\\n") {
      p += 2;
    } else {
      continue;
    }
    const std::size_t end = t.find("<|im_end|>", p);
    if (end == std::string_view::npos) continue;
    const std::string_view text = t.substr(p, end - p);
    if (text.empty() || text.find_first_of("'\"{}+") != std::string_view::npos) continue;
    std::string out(text);
    // Undo the escapes a Jinja string literal may hold.
    std::string unescaped;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i] == '\\' && i + 1 < out.size() && out[i + 1] == 'n') {
        unescaped += '\n';
        ++i;
      } else {
        unescaped += out[i];
      }
    }
    return unescaped;
  }
  return {};
}

bool contains(std::string_view text, std::string_view what) {
  return text.find(what) != std::string_view::npos;
}

// Whether TEXT occurs as a whole Jinja string literal, in single or double quotes.
bool literal_in(std::string_view t, std::string_view text) {
  const std::string body(text);
  return contains(t, "'" + body + "'") || contains(t, "\"" + body + "\"");
}

// Zephyr templates (TinyLlama-1.1B-Chat, zephyr-7b) write '<|user|>\n' + content + eos_token;
// Phi-3's also use <|user|> but close turns with <|end|>.
bool is_zephyr_template(std::string_view t) {
  return contains(t, "<|user|>") && contains(t, "<|assistant|>") && contains(t, "eos_token") &&
         !contains(t, "<|end|>");
}

// The Mistral generations differ in spaces and in where the system text goes; read each detail
// from the template's own literals. Mistral-7B-Instruct-v0.1/v0.2: ' [INST] ' + content +
// ' [/INST]', answer ' ' + content + eos_token, system text before the first user message
// (loop.first). v0.3: "[INST] " + content + "[/INST]", answer " " + content|trim + eos_token,
// system text before the user message that is the conversation's last (loop.last).
MistralLayout mistral_layout(std::string_view t) {
  MistralLayout l;
  l.space_before_inst = literal_in(t, " [INST] ");
  l.space_after_inst = !(contains(t, "'[INST]' +") || contains(t, "\"[INST]\" +"));
  l.space_before_close = literal_in(t, " [/INST]");
  l.space_before_answer = literal_in(t, " ");
  l.trim_answer = contains(t, "]|trim") || contains(t, "] | trim");
  if (contains(t, "loop.last and system_message")) {
    l.system_in_last_user = true;
    l.system_only_if_user_ends = true;
  } else if (contains(t, "user_messages[-1]) and system_message") ||
             contains(t, "last_user_message and system_message")) {
    l.system_in_last_user = true;
  }
  return l;
}

MistralLayout mistral_v3_layout() {
  MistralLayout l;
  l.space_before_inst = false;
  l.space_before_close = false;
  l.trim_answer = true;
  l.system_in_last_user = true;
  l.system_only_if_user_ends = true;
  return l;
}

}  // namespace

ChatTemplate ChatTemplate::from_gguf(const kernels::GgufFile& file) {
  const std::string jinja = file.get_string_or("tokenizer.chat_template", "");
  if (jinja.empty()) {
    throw Error(file.display_name() +
                ": has no chat template (tokenizer.chat_template); choose one with " +
                std::string(kChatTemplateOptionHint));
  }
  return from_template_text(jinja, file.display_name());
}

ChatTemplate ChatTemplate::from_template_text(std::string_view jinja, std::string_view source) {
  if (jinja.find("<|im_start|>") != std::string_view::npos) {
    ChatTemplate t(ChatFormat::ChatML);
    t.default_system_ = chatml_default_system(jinja);
    return t;
  }
  if (jinja.find("<|start_header_id|>") != std::string_view::npos)
    return ChatTemplate(ChatFormat::Llama3);
  if (is_zephyr_template(jinja)) return ChatTemplate(ChatFormat::Zephyr);
  if (contains(jinja, "[INST]")) {
    // Llama 2's template is the one with <<SYS>> markers; Mistral's have none.
    if (contains(jinja, "<<SYS>>")) return ChatTemplate(ChatFormat::Llama2);
    ChatTemplate t(ChatFormat::Mistral);
    t.mistral_ = mistral_layout(jinja);
    return t;
  }
  throw Error(std::string(source) + ": unknown chat template \"" + first_chars(jinja, 60) +
              "\"; choose one with " + std::string(kChatTemplateOptionHint));
}

ChatTemplate ChatTemplate::by_name(std::string_view name) {
  if (name == "chatml") return ChatTemplate(ChatFormat::ChatML);
  if (name == "llama3") return ChatTemplate(ChatFormat::Llama3);
  if (name == "llama2") return ChatTemplate(ChatFormat::Llama2);
  if (name == "mistral") return ChatTemplate(ChatFormat::Mistral);
  if (name == "mistral-v3") {
    ChatTemplate t(ChatFormat::Mistral);
    t.mistral_ = mistral_v3_layout();
    return t;
  }
  if (name == "zephyr") return ChatTemplate(ChatFormat::Zephyr);
  throw Error("unknown chat template name '" + std::string(name) +
              "' (known: chatml, llama3, llama2, mistral, mistral-v3, zephyr)");
}

std::string ChatTemplate::name() const {
  switch (format_) {
    case ChatFormat::ChatML:
      return "chatml";
    case ChatFormat::Llama3:
      return "llama3";
    case ChatFormat::Llama2:
      return "llama2";
    case ChatFormat::Mistral:
      return mistral_.system_in_last_user ? "mistral-v3" : "mistral";
    case ChatFormat::Zephyr:
      return "zephyr";
  }
  return {};
}

std::string ChatTemplate::apply(const std::vector<ChatMessage>& messages,
                                bool add_generation_prompt) const {
  std::string out;
  switch (format_) {
    case ChatFormat::ChatML: {
      if (!default_system_.empty() && (messages.empty() || messages[0].role != "system")) {
        out += "<|im_start|>system\n" + default_system_ + "<|im_end|>\n";
      }
      for (const ChatMessage& m : messages)
        out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      if (add_generation_prompt) out += "<|im_start|>assistant\n";
      break;
    }
    case ChatFormat::Llama3: {
      // Per Meta-Llama-3-Instruct's template: content is trimmed, BOS opens the prompt.
      out += "<|begin_of_text|>";
      for (const ChatMessage& m : messages) {
        out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + strip(m.content) +
               "<|eot_id|>";
      }
      if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    }
    case ChatFormat::Llama2:
      return apply_llama2(messages);
    case ChatFormat::Mistral:
      return apply_mistral(messages);
    case ChatFormat::Zephyr:
      return apply_zephyr(messages, add_generation_prompt);
  }
  return out;
}

namespace {

// The [INST] templates raise an exception unless roles alternate user/assistant after an
// optional system message; so do we, before rendering anything.
void check_alternation(const std::vector<ChatMessage>& messages, std::size_t first,
                       std::string_view format) {
  for (std::size_t i = first; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    const bool should_be_user = (i - first) % 2 == 0;
    if ((m.role == "user") != should_be_user || (m.role != "user" && m.role != "assistant")) {
      throw Error(std::string(format) +
                  " chat format: roles must alternate user/assistant after an optional system "
                  "message (message " +
                  std::to_string(i + 1) + " is '" + m.role + "')");
    }
  }
}

}  // namespace

std::string ChatTemplate::apply_llama2(const std::vector<ChatMessage>& messages) const {
  std::string out;
  // Per Llama-2-chat's template: the system message goes inside the first [INST] in
  // <<SYS>> markers; every user turn opens with BOS, every assistant turn closes with EOS.
  // The generation prompt is the open [/INST] itself.
  std::size_t first = 0;
  std::string system;
  if (!messages.empty() && messages[0].role == "system") {
    system = messages[0].content;
    first = 1;
  }
  check_alternation(messages, first, "llama2");
  for (std::size_t i = first; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    std::string content = m.content;
    if (i == first && first == 1) content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content;
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + string.
    if (m.role == "user") {
      out.append("<s>[INST] ").append(strip(content)).append(" [/INST]");
    } else {
      out.append(" ").append(strip(content)).append(" </s>");
    }
  }
  return out;
}

std::string ChatTemplate::apply_mistral(const std::vector<ChatMessage>& messages) const {
  // One BOS opens the prompt; the system text, when there is one, is joined to one user
  // message with a blank line (Mistral's templates have no system block). The generation
  // prompt is the open [/INST] itself.
  const MistralLayout& l = mistral_;
  std::size_t first = 0;
  const std::string* system = nullptr;
  if (!messages.empty() && messages[0].role == "system") {
    system = &messages[0].content;
    first = 1;
  }
  check_alternation(messages, first, name());
  std::size_t system_at = messages.size();  // none
  if (system != nullptr && first < messages.size()) {
    if (!l.system_in_last_user) {
      system_at = first;
    } else if (messages.back().role == "user") {
      system_at = messages.size() - 1;
    } else if (!l.system_only_if_user_ends && messages.size() >= first + 2) {
      system_at = messages.size() - 2;  // roles alternate, so the last user turn is just before
    }
  }
  std::string out = "<s>";
  for (std::size_t i = first; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (m.role == "user") {
      if (l.space_before_inst) out += ' ';
      out += l.space_after_inst ? "[INST] " : "[INST]";
      if (i == system_at) out.append(*system).append("\n\n");
      out += m.content;
      out += l.space_before_close ? " [/INST]" : "[/INST]";
    } else {
      if (l.space_before_answer) out += ' ';
      out.append(l.trim_answer ? strip(m.content) : m.content).append("</s>");
    }
  }
  return out;
}

std::string ChatTemplate::apply_zephyr(const std::vector<ChatMessage>& messages,
                                       bool add_generation_prompt) const {
  // Per TinyLlama-1.1B-Chat's template (rendered with trim_blocks): each message is
  // "<|role|>\n" + text + eos_token followed by the line break after the expression; other
  // roles write nothing; the generation prompt follows the last message only.
  std::string out;
  for (const ChatMessage& m : messages) {
    if (m.role != "user" && m.role != "system" && m.role != "assistant") continue;
    out.append("<|").append(m.role).append("|>\n").append(m.content).append("</s>\n");
  }
  if (add_generation_prompt && !messages.empty()) out += "<|assistant|>\n";
  return out;
}

std::vector<std::string> ChatTemplate::stop_strings() const {
  switch (format_) {
    case ChatFormat::ChatML:
      return {"<|im_end|>", "<|im_start|>", "<|endoftext|>"};
    case ChatFormat::Llama3:
      return {"<|eot_id|>", "<|end_of_text|>", "<|start_header_id|>"};
    case ChatFormat::Llama2:
    case ChatFormat::Mistral:
      return {"</s>", "[INST]"};
    case ChatFormat::Zephyr:
      return {"</s>", "<|user|>"};
  }
  return {};
}

}  // namespace pgpp::llm
