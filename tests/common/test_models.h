#pragma once
// The real default models, as the set-up script installs them. A test that needs one FAILS
// when it is missing (the README's test command fetches them); it never skips.
#include <filesystem>

namespace pgpp::test {

// Paths of the default decoder (GGUF) and encoder (folder); the calling test fails, with the
// command to run, when they are missing.
std::filesystem::path default_decoder();
std::filesystem::path default_encoder();

// A fresh empty folder under the system's temporary folder, removed at exit by the caller.
std::filesystem::path make_temp_dir(const char* tag);

}  // namespace pgpp::test
