#pragma once
// The JSON files of a sentence-transformers folder (config.json, tokenizer.json, ...), read
// with errors that name the file.
#include <filesystem>
#include <nlohmann/json.hpp>

namespace pgpp::embed {

// Throws pgpp::Error "<path>: cannot open" or "<path>: not valid JSON (...)".
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace pgpp::embed
