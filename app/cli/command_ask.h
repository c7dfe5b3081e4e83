#pragma once
#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "rag/library.h"

namespace pgpp::app {

// `pgpp ask "question"`: a grounded answer, streamed, then its sources (file, page, snippet).
void add_ask_command(CLI::App& app);

// Document ids named by id, file name or path; throws pgpp::Error naming one that is not found.
std::vector<int64_t> resolve_documents(const rag::Library& library, const std::vector<std::string>& names);

// A short one-line excerpt of a passage (whitespace collapsed, cut at a word).
std::string snippet(const std::string& text, std::size_t max_bytes = 160);

}  // namespace pgpp::app
