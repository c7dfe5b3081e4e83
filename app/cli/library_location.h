#pragma once
// Where the library lives and how a command opens it: --library DIR (default $PGPP_LIBRARY, else
// ~/.local/share/pgpp/library, holding library.db and its derived vector index), or --ephemeral:
// SQLite in memory and an in-memory index, so that nothing is written anywhere.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "rag/library.h"

namespace pgpp::app {

std::filesystem::path default_library_dir();
// The library file inside a library folder.
std::filesystem::path library_file(const std::filesystem::path& dir);

struct LibraryCliOptions {
  std::string dir;
  bool ephemeral = false;
  std::string encoder;  // encoder folder; empty: the default encoder
  int threads = 0;      // compute threads (0: one per hardware thread)
};

// --library, and --ephemeral when `ephemeral` is true; --encoder and --threads when `models`.
void add_library_options(CLI::App& cmd, LibraryCliOptions& o, bool ephemeral, bool models);

// The library of the options. With `must_exist`, a missing library file is an Error that says to
// ingest first (a read-only command never creates a library).
std::unique_ptr<rag::Library> open_library(const LibraryCliOptions& o, bool must_exist);

std::filesystem::path encoder_path(const LibraryCliOptions& o);
int compute_threads(int requested);

}  // namespace pgpp::app
