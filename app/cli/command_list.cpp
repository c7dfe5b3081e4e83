#include "app/cli/command_list.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli/library_location.h"

namespace pgpp::app {

namespace {

struct ListArgs {
  LibraryCliOptions library;
  std::string collection;
  bool json = false;
};

void run_list(const ListArgs& a) {
  auto library = open_library(a.library, true);
  std::optional<int64_t> collection;
  if (!a.collection.empty()) collection = library->collection(a.collection);
  const auto docs = library->documents(collection);
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : docs) {
      out.push_back({{"id", d.id}, {"path", d.path}, {"title", d.title}, {"pages", d.pages}, {"passages", d.passages},
                     {"status", d.status}, {"reasons", d.reasons}, {"sha256", d.sha256}, {"added", d.added}});
    }
    fmt::print("{}\n", out.dump(1));
    return;
  }
  if (docs.empty()) {
    fmt::print("The library in {} holds no documents.\n", a.library.dir);
    return;
  }
  fmt::print("{:>5} {:>6} {:>8}  {:<15} {}\n", "id", "pages", "passages", "status", "path");
  int64_t pages = 0, passages = 0;
  for (const auto& d : docs) {
    fmt::print("{:>5} {:>6} {:>8}  {:<15} {}\n", d.id, d.pages, d.passages, d.status, d.path);
    pages += d.pages;
    passages += d.passages;
  }
  fmt::print("{} documents, {} pages, {} passages\n", docs.size(), pages, passages);
}

}  // namespace

void add_list_command(CLI::App& app) {
  auto args = std::make_shared<ListArgs>();
  auto* cmd = app.add_subcommand("list", "List the library's documents");
  cmd->add_option("--collection", args->collection, "only documents of this collection");
  cmd->add_flag("--json", args->json, "print as JSON");
  add_library_options(*cmd, args->library, false, false);
  cmd->callback([args] { run_list(*args); });
}

}  // namespace pgpp::app
