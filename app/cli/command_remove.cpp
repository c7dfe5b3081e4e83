#include "app/cli/command_remove.h"

#include <fmt/format.h>

#include <memory>

#include "app/cli/command_ask.h"
#include "app/cli/library_location.h"

namespace pgpp::app {

namespace {

struct RemoveArgs {
  LibraryCliOptions library;
  std::vector<std::string> documents;
};

void run_remove(const RemoveArgs& a) {
  auto library = open_library(a.library, true);
  // Resolve all names first: a typo in one removes nothing.
  const auto ids = resolve_documents(*library, a.documents);
  for (const int64_t id : ids) {
    const auto doc = library->document(id);
    if (library->remove_document(id)) fmt::print("removed {} ({})\n", id, doc ? doc->path : "?");
  }
}

}  // namespace

void add_remove_command(CLI::App& app) {
  auto args = std::make_shared<RemoveArgs>();
  auto* cmd = app.add_subcommand("remove", "Remove documents from the library");
  cmd->add_option("documents", args->documents, "document ids, file names or paths (see pgpp list)")->required();
  add_library_options(*cmd, args->library, false, false);
  cmd->callback([args] { run_remove(*args); });
}

}  // namespace pgpp::app
