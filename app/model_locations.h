#pragma once
// Where models live: $PGPP_MODELS, else ~/.local/share/pgpp/models (the set-up script puts the
// default pair there). The default pair's paths inside it are fixed by the set-up script.
#include <filesystem>

namespace pgpp::app {

std::filesystem::path models_dir();
std::filesystem::path default_decoder_path();  // a GGUF file
std::filesystem::path default_encoder_path();  // a sentence-transformers folder

}  // namespace pgpp::app
