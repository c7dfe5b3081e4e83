#include "app/cli/command_models.h"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "app/model_locations.h"
#include "embed/encoder_facts.h"
#include "kernels/error.h"
#include "kernels/gguf_file.h"
#include "llm/decoder_facts.h"

namespace pgpp::app {

namespace fs = std::filesystem;

namespace {

struct Options {
  std::vector<std::string> paths;
  bool json = false;
};

std::string human_count(int64_t n) {
  if (n >= 1'000'000'000) return fmt::format("{:.2f} B", n / 1e9);
  if (n >= 1'000'000) return fmt::format("{:.1f} M", n / 1e6);
  return fmt::format("{}", n);
}

std::string human_bytes(std::size_t n) {
  if (n >= (1ull << 30)) return fmt::format("{:.2f} GiB", n / double(1ull << 30));
  return fmt::format("{:.1f} MiB", n / double(1ull << 20));
}

// Every GGUF file and encoder folder under `root` (one level of folders deep, as the set-up
// script lays them out), or `root` itself when it is one.
void collect(const fs::path& root, std::vector<fs::path>& out) {
  if (fs::is_regular_file(root) || embed::is_encoder_folder(root)) {
    out.push_back(root);
    return;
  }
  if (!fs::is_directory(root)) return;
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(root)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  for (const auto& p : entries) {
    if (fs::is_regular_file(p) && p.extension() == ".gguf") {
      out.push_back(p);
    } else if (fs::is_directory(p)) {
      if (embed::is_encoder_folder(p)) {
        out.push_back(p);
      } else {
        std::vector<fs::path> inner;
        for (const auto& e : fs::directory_iterator(p)) {
          if (e.is_regular_file() && e.path().extension() == ".gguf") inner.push_back(e.path());
          if (e.is_directory() && embed::is_encoder_folder(e.path())) inner.push_back(e.path());
        }
        std::sort(inner.begin(), inner.end());
        out.insert(out.end(), inner.begin(), inner.end());
      }
    }
  }
}

nlohmann::json describe_decoder(const kernels::GgufFile& file, const fs::path& p) {
  const auto f = llm::read_decoder_facts(file);
  nlohmann::json types = nlohmann::json::object();
  for (const auto& [t, n] : f.tensor_types) types[t] = n;
  return {{"kind", "decoder"},       {"path", p.string()},
          {"name", f.name},          {"architecture", f.architecture},
          {"parameters", f.parameters}, {"layers", f.layers},
          {"embedding", f.embedding}, {"heads", f.heads},
          {"kv_heads", f.kv_heads},  {"context_length", f.context_length},
          {"vocab_size", f.vocab_size}, {"tokenizer", f.tokenizer},
          {"pre_tokenizer", f.pre_tokenizer}, {"chat_template", f.has_chat_template},
          {"tensor_types", types},   {"file_bytes", f.file_bytes}};
}

nlohmann::json describe_encoder(const embed::EncoderFacts& f, const fs::path& p) {
  return {{"kind", "encoder"},        {"path", p.string()},
          {"name", f.name},           {"format", f.format},
          {"architecture", f.architecture},
          {"parameters", f.parameters}, {"layers", f.layers},
          {"hidden", f.hidden},       {"heads", f.heads},
          {"vocab_size", f.vocab_size}, {"max_tokens", f.max_tokens},
          {"pooling", f.pooling},     {"normalize", f.normalize},
          {"weights_type", f.weights_type}};
}

// A folder is an encoder; a GGUF file is one when its architecture is BERT, else a decoder.
nlohmann::json describe(const fs::path& p) {
  if (fs::is_directory(p)) return describe_encoder(embed::read_encoder_facts(p), p);
  const kernels::GgufFile file(p);
  if (embed::is_encoder_gguf(file)) return describe_encoder(embed::read_encoder_facts(file), p);
  return describe_decoder(file, p);
}

std::string kind_of(const fs::path& p) {
  if (fs::is_directory(p)) return "encoder";
  try {
    return embed::is_encoder_gguf(kernels::GgufFile(p)) ? "encoder" : "decoder";
  } catch (const Error&) {
    return "decoder";
  }
}

void print_text(const nlohmann::json& m, bool is_default) {
  const std::string kind = m["kind"];
  fmt::print("{}  {}{}\n", kind, m["path"].get<std::string>(), is_default ? "  (default)" : "");
  if (m.contains("error")) {
    fmt::print("  error           {}\n", m["error"].get<std::string>());
    return;
  }
  fmt::print("  name            {}\n", m["name"].get<std::string>());
  fmt::print("  parameters      {}\n", human_count(m["parameters"].get<int64_t>()));
  if (kind == "decoder") {
    fmt::print("  architecture    {}, {} layers, {} embedding, {} heads ({} kv)\n",
               m["architecture"].get<std::string>(), m["layers"].get<int64_t>(),
               m["embedding"].get<int64_t>(), m["heads"].get<int64_t>(), m["kv_heads"].get<int64_t>());
    std::string mix;
    for (auto it = m["tensor_types"].begin(); it != m["tensor_types"].end(); ++it) {
      if (!mix.empty()) mix += ", ";
      mix += fmt::format("{} x{}", it.key(), it.value().get<int>());
    }
    fmt::print("  tensors         {}\n", mix);
    fmt::print("  context         {} tokens\n", m["context_length"].get<int64_t>());
    fmt::print("  tokenizer       {} ({}), {} tokens, chat template: {}\n",
               m["tokenizer"].get<std::string>(), m["pre_tokenizer"].get<std::string>(),
               m["vocab_size"].get<int64_t>(), m["chat_template"].get<bool>() ? "yes" : "no");
    fmt::print("  file size       {}\n", human_bytes(m["file_bytes"].get<std::size_t>()));
  } else {
    fmt::print("  format          {}\n", m["format"].get<std::string>());
    fmt::print("  architecture    {}, {} layers, {} hidden, {} heads\n",
               m["architecture"].get<std::string>(), m["layers"].get<int64_t>(),
               m["hidden"].get<int64_t>(), m["heads"].get<int64_t>());
    fmt::print("  output          {} dimensions, {} pooling{}\n", m["hidden"].get<int64_t>(),
               m["pooling"].get<std::string>(), m["normalize"].get<bool>() ? ", normalized" : "");
    fmt::print("  max tokens      {}\n", m["max_tokens"].get<int64_t>());
    fmt::print("  weights         {}, vocabulary of {}\n", m["weights_type"].get<std::string>(),
               m["vocab_size"].get<int64_t>());
  }
}

int run(const Options& opt) {
  std::vector<fs::path> roots;
  for (const auto& p : opt.paths) roots.emplace_back(p);
  if (roots.empty()) roots.push_back(models_dir());

  std::vector<fs::path> found;
  for (const auto& r : roots) {
    if (!fs::exists(r)) {
      fmt::print(stderr, "pgpp models: {} does not exist{}\n", r.string(),
                 opt.paths.empty() ? " (run packaging/setup.sh to fetch the default models)" : "");
      return 1;
    }
    collect(r, found);
  }
  if (found.empty()) {
    fmt::print(stderr, "pgpp models: no GGUF file or encoder folder found in {}\n", roots[0].string());
    return 1;
  }

  nlohmann::json all = nlohmann::json::array();
  int failures = 0;
  for (const auto& p : found) {
    nlohmann::json m;
    try {
      m = describe(p);
    } catch (const Error& e) {
      m = {{"kind", kind_of(p)}, {"path", p.string()}, {"error", e.what()}};
      ++failures;
    }
    all.push_back(m);
  }
  if (opt.json) {
    std::cout << all.dump(2) << "\n";
  } else {
    if (opt.paths.empty()) fmt::print("Models in {}\n\n", models_dir().string());
    for (const auto& m : all) {
      const fs::path p = m["path"].get<std::string>();
      const bool is_default = p == default_decoder_path() || p == default_encoder_path();
      print_text(m, is_default);
      fmt::print("\n");
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

void add_models_command(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("models", "List the models found and what they are");
  cmd->add_option("paths", opt->paths,
                  "GGUF files (decoders or BERT encoders), encoder folders or folders holding them")
      ->check(CLI::ExistingPath);
  cmd->add_flag("--json", opt->json, "Print JSON instead of text");
  cmd->callback([opt] {
    if (const int rc = run(*opt); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace pgpp::app
