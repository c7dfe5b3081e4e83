#include "app/model_locations.h"

#include <cstdlib>

namespace pgpp::app {

std::filesystem::path models_dir() {
  if (const char* env = std::getenv("PGPP_MODELS"); env && *env) return env;
  if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data) {
    return std::filesystem::path(data) / "pgpp/models";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".local/share/pgpp/models";
}

std::filesystem::path default_decoder_path() {
  return models_dir() / "smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf";
}

std::filesystem::path default_encoder_path() { return models_dir() / "all-minilm-l6-v2"; }

}  // namespace pgpp::app
