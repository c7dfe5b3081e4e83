#include "app/cli/library_location.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "app/model_locations.h"
#include "kernels/error.h"
#include "rag/sqlite_db.h"

namespace pgpp::app {

std::filesystem::path default_library_dir() {
  if (const char* env = std::getenv("PGPP_LIBRARY"); env && *env) return env;
  if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data) return std::filesystem::path(data) / "pgpp/library";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".local/share/pgpp/library";
}

std::filesystem::path library_file(const std::filesystem::path& dir) { return dir / "library.db"; }

void add_library_options(CLI::App& cmd, LibraryCliOptions& o, bool ephemeral, bool models) {
  o.dir = default_library_dir().string();
  cmd.add_option("--library", o.dir, "library folder")->capture_default_str();
  if (ephemeral) {
    cmd.add_flag("--ephemeral", o.ephemeral, "keep the library in memory: no file is written anywhere");
  }
  if (models) {
    cmd.add_option("--encoder", o.encoder, "encoder folder or BERT GGUF file (default: the default encoder)");
    cmd.add_option("-t,--threads", o.threads, "compute threads (0: one per hardware thread)");
  }
}

std::unique_ptr<rag::Library> open_library(const LibraryCliOptions& o, bool must_exist) {
  if (o.ephemeral) {
    auto lib = std::make_unique<rag::Library>(":memory:");
    // Sorts and temporary tables stay in memory too (SQLite would otherwise spill them to TMPDIR).
    lib->db().exec("PRAGMA temp_store = MEMORY");
    return lib;
  }
  const auto file = library_file(o.dir);
  if (must_exist && !std::filesystem::exists(file)) {
    throw Error("no library in " + o.dir + " (add documents with: pgpp ingest PATH... --library " + o.dir + ")");
  }
  return std::make_unique<rag::Library>(file);
}

std::filesystem::path encoder_path(const LibraryCliOptions& o) {
  return o.encoder.empty() ? default_encoder_path() : std::filesystem::path(o.encoder);
}

int compute_threads(int requested) {
  return requested > 0 ? requested : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace pgpp::app
