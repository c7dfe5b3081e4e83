#include "app/cli/command_embed.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/cli/device_option.h"
#include "app/model_locations.h"
#include "embed/encoder.h"
#include "kernels/cpu_backend.h"
#include "kernels/device.h"

namespace pgpp::app {

namespace {

struct Options {
  std::vector<std::string> texts;
  std::string model;
  int threads = 0;
  int show = 8;
  kernels::Device device = kernels::Device::Auto;
  bool json = false;
};

void run(const Options& o) {
  kernels::CpuBackend cpu(o.threads);
  embed::Encoder encoder(o.model.empty() ? default_encoder_path() : std::filesystem::path(o.model), cpu,
                         o.device);
  const auto r = encoder.embed_detailed(o.texts);
  const int dim = encoder.dimension();
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < o.texts.size(); ++i) {
    const float* v = r.vectors.data() + i * static_cast<std::size_t>(dim);
    double sq = 0;
    for (int c = 0; c < dim; ++c) sq += double(v[c]) * v[c];
    if (o.json) {
      out.push_back({{"text", o.texts[i]}, {"tokens", r.tokens[i]}, {"truncated", bool(r.truncated[i])},
                     {"norm", std::sqrt(sq)}, {"embedding", std::vector<float>(v, v + dim)}});
      continue;
    }
    std::string head;
    for (int c = 0; c < std::min(o.show, dim); ++c) head += fmt::format("{}{:+.5f}", c ? " " : "", v[c]);
    fmt::print("[{}] {} tokens{}, norm {:.6f}, dim {}: {}{}\n", i, r.tokens[i],
               r.truncated[i] ? " (truncated)" : "", std::sqrt(sq), dim, head, dim > o.show ? " ..." : "");
  }
  if (o.json) fmt::print("{}\n", out.dump(1));
}

}  // namespace

void add_embed_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("embed", "Embed texts with the encoder and show the vectors");
  cmd->add_option("texts", opts->texts, "Texts to embed")->required();
  cmd->add_option("--model", opts->model,
                  "Encoder: a sentence-transformers folder or a BERT GGUF file (default: the default encoder)");
  cmd->add_option("--threads", opts->threads, "Compute threads (default: one per hardware thread)");
  cmd->add_option("--show", opts->show, "Values of each vector to print")->capture_default_str();
  add_device_option(*cmd, opts->device, "the encoder");
  cmd->add_flag("--json", opts->json, "Print the full vectors as JSON");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace pgpp::app
