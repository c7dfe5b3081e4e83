// Chat prompts against transformers' rendering of the real templates (SmolLM2's and Qwen2's
// from their GGUF files, Llama 3's and Llama 2's official ones), from
// tests/reference/make_tokenizer_goldens.py.
#include "llm/chat_template.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "app/model_locations.h"
#include "kernels/error.h"
#include "tests/common/test_models.h"

namespace pgpp::llm {
namespace {

// format -> case -> prompt
std::map<std::string, std::map<std::string, std::string>> read_goldens() {
  const std::string path = std::string(PGPP_TEST_DATA_DIR) + "/tokenizer/chat_templates.tsv";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "missing golden file " << path;
  std::map<std::string, std::map<std::string, std::string>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t t1 = line.find('\t');
    const std::size_t t2 = line.find('\t', t1 + 1);
    std::string text;
    for (std::size_t i = t2 + 1; i + 1 < line.size(); i += 2) {
      text += static_cast<char>(std::stoi(line.substr(i, 2), nullptr, 16));
    }
    out[line.substr(0, t1)][line.substr(t1 + 1, t2 - t1 - 1)] = text;
  }
  return out;
}

const std::vector<ChatMessage> kConversation = {
    {"system", "You answer from the sources."},
    {"user", "What is in report.pdf?"},
    {"assistant", "A budget table [1]."},
    {"user", "And on page 2?"},
};

void expect_renders_like_reference(const ChatTemplate& t, const std::string& golden_format) {
  const auto goldens = read_goldens();
  ASSERT_TRUE(goldens.count(golden_format)) << golden_format;
  const auto& g = goldens.at(golden_format);
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(t.apply(kConversation, true), g.at("full"));
  EXPECT_EQ(t.apply(kConversation, false), g.at("full_no_prompt"));
  const std::vector<ChatMessage> no_system(kConversation.begin() + 1, kConversation.end());
  EXPECT_EQ(t.apply(no_system, true), g.at("no_system"));
}

TEST(ChatTemplate, RecognisesSmolLm2sTemplateAndItsDefaultSystemMessage) {
  const kernels::GgufFile file(test::default_decoder());
  const ChatTemplate t = ChatTemplate::from_gguf(file);
  EXPECT_EQ(t.format(), ChatFormat::ChatML);
  EXPECT_EQ(t.default_system(),
            "You are a helpful AI assistant named SmolLM, trained by Hugging Face");
  expect_renders_like_reference(t, "chatml");
}

TEST(ChatTemplate, RecognisesQwen2sTemplate) {
  const kernels::GgufFile file(app::models_dir() / "llama-vocabs" / "ggml-vocab-qwen2.gguf");
  const ChatTemplate t = ChatTemplate::from_gguf(file);
  EXPECT_EQ(t.format(), ChatFormat::ChatML);
  EXPECT_EQ(t.default_system(), "You are a helpful assistant");
  expect_renders_like_reference(t, "chatml-qwen2");
}

TEST(ChatTemplate, Llama3MatchesTheOfficialTemplate) {
  const ChatTemplate t = ChatTemplate::by_name("llama3");
  EXPECT_EQ(t.format(), ChatFormat::Llama3);
  expect_renders_like_reference(t, "llama3");
}

TEST(ChatTemplate, Llama2MatchesTheOfficialTemplate) {
  const ChatTemplate t = ChatTemplate::by_name("llama2");
  EXPECT_EQ(t.format(), ChatFormat::Llama2);
  expect_renders_like_reference(t, "llama2");
  EXPECT_THROW(t.apply({{"user", "a"}, {"user", "b"}}, true), Error);
}

TEST(ChatTemplate, ForcedChatMlHasNoDefaultSystemMessage) {
  const ChatTemplate t = ChatTemplate::by_name("chatml");
  EXPECT_EQ(t.apply({{"user", "Hi"}}, true),
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, RecognisesTemplatesByTheirMarkers) {
  EXPECT_EQ(ChatTemplate::from_template_text("{{ '<|start_header_id|>' }}", "x").format(),
            ChatFormat::Llama3);
  // Llama 2's template is told from Mistral's by its <<SYS>> block.
  EXPECT_EQ(ChatTemplate::from_template_text(
                "{{ bos_token + '[INST] ' + '<<SYS>>\\n' + system_message }}", "x")
                .format(),
            ChatFormat::Llama2);
  EXPECT_EQ(ChatTemplate::from_template_text("{{ bos_token + '[INST] ' }}", "x").format(),
            ChatFormat::Mistral);
}

// The real chat_template texts (tokenizer_config.json, JSON escapes undone), as test data.
// TinyLlama/TinyLlama-1.1B-Chat-v1.0 (HuggingFaceH4/zephyr-7b-beta has the same text).
constexpr const char* kTinyLlamaTemplate =
    "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + "
    "message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' "
    "+ message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ "
    "'<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and "
    "add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

// mistralai/Mistral-7B-Instruct-v0.1 and -v0.2 (the same text in both).
constexpr const char* kMistralV1Template =
    "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = "
    "messages[0]['content'] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- "
    "set loop_messages = messages %}\n{%- endif %}\n\n{{- bos_token }}\n{%- for message in "
    "loop_messages %}\n    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n       "
    " {{- raise_exception('After the optional system message, conversation roles must alternate "
    "user/assistant/user/assistant/...') }}\n    {%- endif %}\n    {%- if message['role'] == "
    "'user' %}\n        {%- if loop.first and system_message is defined %}\n            {{- ' "
    "[INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n        {%- else "
    "%}\n            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n        {%- endif %}\n "
    "   {%- elif message['role'] == 'assistant' %}\n        {{- ' ' + message['content'] + "
    "eos_token}}\n    {%- else %}\n        {{- raise_exception('Only user and assistant roles are "
    "supported, with the exception of an initial optional system message!') }}\n    {%- endif "
    "%}\n{%- endfor %}\n";

// The earlier v0.1/v0.2 text, still embedded in many GGUF files: no system message at all.
constexpr const char* kMistralV1OldTemplate =
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
    "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
    "user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ "
    "'[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ "
    "message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles "
    "are supported!') }}{% endif %}{% endfor %}";

// mistralai/Mistral-7B-Instruct-v0.3: its system and message lines, verbatim (the tool-call
// branches between them are left out; recognition does not read them).
constexpr const char* kMistralV3Template =
    "{%- if messages[0][\"role\"] == \"system\" %}\n    {%- set system_message = "
    "messages[0][\"content\"] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    "
    "{%- set loop_messages = messages %}\n{%- endif %}\n{{- bos_token }}\n{%- for message in "
    "loop_messages %}\n    {%- if message[\"role\"] == \"user\" %}\n        {%- if loop.last and "
    "system_message is defined %}\n            {{- \"[INST] \" + system_message + \"\\n\\n\" + "
    "message[\"content\"] + \"[/INST]\" }}\n        {%- else %}\n            {{- \"[INST] \" + "
    "message[\"content\"] + \"[/INST]\" }}\n        {%- endif %}\n    {%- elif message[\"role\"] "
    "== \"assistant\" %}\n        {{- \" \" + message[\"content\"]|trim + eos_token}}\n    {%- "
    "endif %}\n{%- endfor %}\n";

TEST(ChatTemplate, ZephyrRendersTinyLlamasTemplate) {
  const ChatTemplate t = ChatTemplate::from_template_text(kTinyLlamaTemplate, "tinyllama.gguf");
  EXPECT_EQ(t.format(), ChatFormat::Zephyr);
  EXPECT_EQ(t.name(), "zephyr");
  // By the template's rules (transformers renders with trim_blocks, so only the line break
  // after each {{ ... }} survives): every message is '<|role|>\n' + content + eos_token + '\n',
  // content as given; the generation prompt '<|assistant|>' + '\n' follows the last message.
  // No BOS: the template writes none.
  const std::string body =
      "<|system|>\nYou answer from the sources.</s>\n"
      "<|user|>\nWhat is in report.pdf?</s>\n"
      "<|assistant|>\nA budget table [1].</s>\n"
      "<|user|>\nAnd on page 2?</s>\n";
  EXPECT_EQ(t.apply(kConversation, true), body + "<|assistant|>\n");
  EXPECT_EQ(t.apply(kConversation, false), body);
  EXPECT_EQ(ChatTemplate::by_name("zephyr").apply(kConversation, true),
            t.apply(kConversation, true));
  EXPECT_EQ(t.stop_strings(), (std::vector<std::string>{"</s>", "<|user|>"}));
}

TEST(ChatTemplate, MistralV1PutsTheSystemTextInTheFirstUserTurn) {
  const ChatTemplate t = ChatTemplate::from_template_text(kMistralV1Template, "mistral-v0.2.gguf");
  EXPECT_EQ(t.format(), ChatFormat::Mistral);
  EXPECT_EQ(t.name(), "mistral");
  // By the template's rules: one bos_token; a user turn is ' [INST] ' + content + ' [/INST]',
  // the first one with system_message + '\n\n' before its content (no <<SYS>>); an answer is
  // ' ' + content + eos_token. add_generation_prompt adds nothing.
  const std::string expected =
      "<s> [INST] You answer from the sources.\n\nWhat is in report.pdf? [/INST]"
      " A budget table [1].</s> [INST] And on page 2? [/INST]";
  EXPECT_EQ(t.apply(kConversation, true), expected);
  EXPECT_EQ(t.apply(kConversation, false), expected);
  EXPECT_EQ(ChatTemplate::by_name("mistral").apply(kConversation, true), expected);
  EXPECT_THROW(t.apply({{"user", "a"}, {"user", "b"}}, true), Error);
  EXPECT_EQ(t.stop_strings().front(), "</s>");
}

TEST(ChatTemplate, MistralV1OldTemplateHasNoSpacesAroundTheAnswer) {
  const ChatTemplate t = ChatTemplate::from_template_text(kMistralV1OldTemplate, "old.gguf");
  EXPECT_EQ(t.format(), ChatFormat::Mistral);
  // By the template's rules: bos_token, then '[INST] ' + content + ' [/INST]' per user turn and
  // content + eos_token per answer, nothing between them.
  const std::vector<ChatMessage> no_system(kConversation.begin() + 1, kConversation.end());
  EXPECT_EQ(t.apply(no_system, true),
            "<s>[INST] What is in report.pdf? [/INST]A budget table [1].</s>"
            "[INST] And on page 2? [/INST]");
}

TEST(ChatTemplate, MistralV3PutsTheSystemTextInTheLastUserTurn) {
  const ChatTemplate t = ChatTemplate::from_template_text(kMistralV3Template, "mistral-v0.3.gguf");
  EXPECT_EQ(t.format(), ChatFormat::Mistral);
  EXPECT_EQ(t.name(), "mistral-v3");
  // By the template's rules: one bos_token; a user turn is '[INST] ' + content + '[/INST]' (no
  // space before [/INST]); the user message that is loop.last gets system_message + '\n\n'
  // before its content; an answer is ' ' + content|trim + eos_token.
  const std::string expected =
      "<s>[INST] What is in report.pdf?[/INST] A budget table [1].</s>"
      "[INST] You answer from the sources.\n\nAnd on page 2?[/INST]";
  EXPECT_EQ(t.apply(kConversation, true), expected);
  EXPECT_EQ(ChatTemplate::by_name("mistral-v3").apply(kConversation, true), expected);
  // The answer is trimmed; a conversation ending with an answer has no loop.last user turn,
  // so the template drops the system text.
  EXPECT_EQ(t.apply({{"system", "S"}, {"user", "Q"}, {"assistant", "  A \n"}}, false),
            "<s>[INST] Q[/INST] A</s>");
}

TEST(ChatTemplate, Llama2KeepsItsSysBlockApartFromMistral) {
  // Llama-2-chat's official template (its distinguishing part): the system text in <<SYS>>.
  const ChatTemplate t = ChatTemplate::from_template_text(
      "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + "
      "system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% endif %}{{ bos_token + "
      "'[INST] ' + content.strip() + ' [/INST]' }}",
      "llama2.gguf");
  EXPECT_EQ(t.format(), ChatFormat::Llama2);
  EXPECT_EQ(t.apply({{"system", "S"}, {"user", "Q"}}, true),
            "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nQ [/INST]");
}

TEST(ChatTemplate, UnknownTemplateNamesItAndTheOption) {
  const std::string jinja =
      "{% for message in messages %}{{ '<start_of_turn>' + message['role'] + '\\n' + "
      "message['content'] }}"
      "{% endfor %}";
  try {
    ChatTemplate::from_template_text(jinja, "gemma.gguf");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("gemma.gguf"), std::string::npos) << msg;
    EXPECT_NE(msg.find("{% for message in messages %}{{ '<start_of_turn>'"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("--chat-template chatml|llama3|llama2|mistral|mistral-v3|zephyr"),
              std::string::npos)
        << msg;
  }
  try {
    ChatTemplate::by_name("vicuna");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vicuna"), std::string::npos);
  }
}

TEST(ChatTemplate, StopStringsEndTheTurn) {
  EXPECT_EQ(ChatTemplate::by_name("chatml").stop_strings().front(), "<|im_end|>");
  EXPECT_EQ(ChatTemplate::by_name("llama3").stop_strings().front(), "<|eot_id|>");
  EXPECT_EQ(ChatTemplate::by_name("llama2").stop_strings().front(), "</s>");
  EXPECT_EQ(ChatTemplate::by_name("mistral").stop_strings().front(), "</s>");
  EXPECT_EQ(ChatTemplate::by_name("zephyr").stop_strings().front(), "</s>");
}

}  // namespace
}  // namespace pgpp::llm
