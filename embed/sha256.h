#pragma once
// SHA-256 (FIPS 180-4) of bytes or of a file, as lower-case hex: the encoder's identity names
// the exact weights that made an embedding.
#include <cstddef>
#include <filesystem>
#include <string>

namespace pgpp::embed {

std::string sha256_hex(const void* data, std::size_t size);
// Reads the file in chunks; throws pgpp::Error when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace pgpp::embed
