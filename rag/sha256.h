#pragma once
// SHA-256 of a file's bytes (FIPS 180-4), as lowercase hex: a document's identity in the library
// (the same file under two names is stored once).
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace pgpp::rag {

std::string sha256_hex(std::string_view bytes);
// Streams the file; throws pgpp::Error naming it when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace pgpp::rag
