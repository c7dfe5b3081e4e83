#pragma once
#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "rag/ingest_pipeline.h"

namespace pgpp::embed {
class Encoder;
}

namespace pgpp::app {

// `pgpp ingest PATH...`: PDF files and folders (recursive) into the library, with a progress
// line and a summary of skipped and failed files with their reasons.
void add_ingest_command(CLI::App& app);

// Ingests `paths` (files and folders) with a progress line on stderr (Ctrl-C cancels: stored
// documents stay) and prints the summary to stderr. Used by ingest and by ask --pdf.
// `password_hint` follows the reason of a locked file: how this command takes a password.
rag::IngestReport ingest_paths(rag::Library& library, embed::Encoder& encoder, const std::vector<std::string>& paths,
                               const std::string& collection, const std::string& password = {},
                               const std::string& password_hint = {});

}  // namespace pgpp::app
