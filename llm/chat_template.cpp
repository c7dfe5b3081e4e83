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

}  // namespace

ChatTemplate ChatTemplate::from_gguf(const kernels::GgufFile& file) {
  const std::string jinja = file.get_string_or("tokenizer.chat_template", "");
  if (jinja.empty()) {
    throw Error(file.display_name() + ": has no chat template (tokenizer.chat_template); choose one with " +
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
  if (jinja.find("<|start_header_id|>") != std::string_view::npos) return ChatTemplate(ChatFormat::Llama3);
  if (jinja.find("[INST]") != std::string_view::npos) return ChatTemplate(ChatFormat::Llama2);
  throw Error(std::string(source) + ": unknown chat template \"" + first_chars(jinja, 60) +
              "\"; choose one with " + std::string(kChatTemplateOptionHint));
}

ChatTemplate ChatTemplate::by_name(std::string_view name) {
  if (name == "chatml") return ChatTemplate(ChatFormat::ChatML);
  if (name == "llama3") return ChatTemplate(ChatFormat::Llama3);
  if (name == "llama2") return ChatTemplate(ChatFormat::Llama2);
  throw Error("unknown chat template name '" + std::string(name) + "' (known: chatml, llama3, llama2)");
}

std::string ChatTemplate::name() const {
  switch (format_) {
    case ChatFormat::ChatML:
      return "chatml";
    case ChatFormat::Llama3:
      return "llama3";
    case ChatFormat::Llama2:
      return "llama2";
  }
  return {};
}

std::string ChatTemplate::apply(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  std::string out;
  switch (format_) {
    case ChatFormat::ChatML: {
      if (!default_system_.empty() && (messages.empty() || messages[0].role != "system")) {
        out += "<|im_start|>system\n" + default_system_ + "<|im_end|>\n";
      }
      for (const ChatMessage& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      if (add_generation_prompt) out += "<|im_start|>assistant\n";
      break;
    }
    case ChatFormat::Llama3: {
      // Per Meta-Llama-3-Instruct's template: content is trimmed, BOS opens the prompt.
      out += "<|begin_of_text|>";
      for (const ChatMessage& m : messages) {
        out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + strip(m.content) + "<|eot_id|>";
      }
      if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    }
    case ChatFormat::Llama2: {
      // Per Llama-2-chat's template: the system message goes inside the first [INST] in
      // <<SYS>> markers; every user turn opens with BOS, every assistant turn closes with EOS.
      // The generation prompt is the open [/INST] itself.
      std::size_t first = 0;
      std::string system;
      if (!messages.empty() && messages[0].role == "system") {
        system = messages[0].content;
        first = 1;
      }
      for (std::size_t i = first; i < messages.size(); ++i) {
        const ChatMessage& m = messages[i];
        const bool should_be_user = (i - first) % 2 == 0;
        if ((m.role == "user") != should_be_user || (m.role != "user" && m.role != "assistant")) {
          throw Error("llama2 chat format: roles must alternate user/assistant after an optional system "
                      "message (message " + std::to_string(i + 1) + " is '" + m.role + "')");
        }
        std::string content = m.content;
        if (i == first && first == 1) content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content;
        // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + string.
        if (m.role == "user") {
          out.append("<s>[INST] ").append(strip(content)).append(" [/INST]");
        } else {
          out.append(" ").append(strip(content)).append(" </s>");
        }
      }
      break;
    }
  }
  return out;
}

std::vector<std::string> ChatTemplate::stop_strings() const {
  switch (format_) {
    case ChatFormat::ChatML:
      return {"<|im_end|>", "<|im_start|>", "<|endoftext|>"};
    case ChatFormat::Llama3:
      return {"<|eot_id|>", "<|end_of_text|>", "<|start_header_id|>"};
    case ChatFormat::Llama2:
      return {"</s>", "[INST]"};
  }
  return {};
}

}  // namespace pgpp::llm
