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
  EXPECT_EQ(ChatTemplate::from_template_text("{{ bos_token + '[INST] ' }}", "x").format(),
            ChatFormat::Llama2);
}

// Mistral's chat templates, by the shapes of their tokenizer_config.json generations: v1
// (Mistral-7B-Instruct-v0.1/0.2: "[INST] " + content + " [/INST]", user/assistant only), v3
// (v0.3: "[INST] " + content + "[/INST]", tool-call markers, system folded into the last user
// turn) and v7/Tekken ([SYSTEM_PROMPT] blocks). All take the [INST] format; the abbreviated
// texts below keep each variant's markers and control flow, which is all recognition reads.
TEST(ChatTemplate, RecognisesMistralTemplateVariants) {
  const std::map<std::string, std::string> variants = {
      {"v1",
       "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
       "(loop.index0 % 2 == 0) %}"
       "{{ raise_exception('roles must alternate') }}{% endif %}{% if message['role'] == 'user' %}"
       "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
       "{{ message['content'] + eos_token }}{% endif %}{% endfor %}"},
      {"v3",
       "{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] "
       "%}{%- endif %}"
       "{{- bos_token }}{%- for message in loop_messages %}{%- if message['role'] == 'user' %}"
       "{%- if tools is not none and loop.last %}{{- '[AVAILABLE_TOOLS] [' }}{{- "
       "'[/AVAILABLE_TOOLS]' }}{%- endif %}"
       "{%- if loop.last and system_message is defined %}{{- '[INST] ' + system_message + '\\n\\n' "
       "+ "
       "message['content'] + '[/INST]' }}{%- else %}{{- '[INST] ' + message['content'] + '[/INST]' "
       "}}{%- endif %}"
       "{%- elif message['role'] == 'assistant' %}{{- ' ' + message['content'] + eos_token }}{%- "
       "endif %}"
       "{%- endfor %}"},
      {"v7",
       "{{- bos_token }}{%- if system_message is defined %}{{- '[SYSTEM_PROMPT]' + system_message "
       "+ "
       "'[/SYSTEM_PROMPT]' }}{%- endif %}{%- for message in loop_messages %}{%- if message['role'] "
       "== 'user' %}"
       "{{- '[INST]' + message['content'] + '[/INST]' }}{%- elif message['role'] == 'assistant' %}"
       "{{- message['content'] + eos_token }}{%- endif %}{%- endfor %}"},
  };
  for (const auto& [name, text] : variants) {
    EXPECT_EQ(ChatTemplate::from_template_text(text, "mistral-" + name).format(),
              ChatFormat::Llama2)
        << name;
  }
  // A single user turn renders as v1 does ("<s>[INST] " + content + " [/INST]"). Multi-turn
  // and system messages follow Llama 2's layout (<s> per turn, <<SYS>>), not Mistral's.
  const ChatTemplate t = ChatTemplate::from_template_text(variants.at("v1"), "mistral-v1");
  EXPECT_EQ(t.apply({{"user", "What is on page 2?"}}, true),
            "<s>[INST] What is on page 2? [/INST]");
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
    EXPECT_NE(msg.find("--chat-template chatml|llama3|llama2"), std::string::npos) << msg;
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
}

}  // namespace
}  // namespace pgpp::llm
