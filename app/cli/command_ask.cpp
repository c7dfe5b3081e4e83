#include "app/cli/command_ask.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli/command_generate.h"
#include "app/cli/command_ingest.h"
#include "app/cli/library_location.h"
#include "embed/encoder.h"
#include "kernels/cpu_backend.h"
#include "kernels/error.h"
#include "llm/llama_model.h"
#include "rag/answerer.h"
#include "rag/vector_index.h"

namespace pgpp::app {

namespace {

struct AskArgs {
  LibraryCliOptions library;
  DecoderCliOptions decoder;
  std::string question;
  std::vector<std::string> pdfs;
  std::string password;  // of locked --pdf files
  std::string collection;
  std::vector<std::string> documents;
  int sources = 6;
  int per_document = 3;
  bool retrieve_only = false;
  bool json = false;
};

nlohmann::json source_json(const rag::RetrievedSource& s, int number, bool cited) {
  return {{"number", number},           {"path", s.path},         {"title", s.title},
          {"document_id", s.document_id}, {"page_first", s.page_first}, {"page_last", s.page_last},
          {"begin", s.begin},           {"end", s.end},           {"passage_ids", s.passage_ids},
          {"score", s.score},           {"dense_rank", s.dense_rank}, {"bm25_rank", s.bm25_rank},
          {"cited", cited},             {"text", s.text}};
}

bool matched_by_wording(const rag::Answer& a, int number) {
  return std::any_of(a.matched.begin(), a.matched.end(), [&](const auto& m) { return m.number == number; });
}

void print_sources(const rag::Answer& a) {
  fmt::print("\nSources:\n");
  for (std::size_t i = 0; i < a.sources.size(); ++i) {
    const int n = static_cast<int>(i + 1);
    const bool is_cited = std::find(a.parsed.cited.begin(), a.parsed.cited.end(), n) != a.parsed.cited.end();
    const char* mark = is_cited ? "  (cited)" : matched_by_wording(a, n) ? "  (matched by wording)" : "";
    fmt::print("  [{}] {}{}\n      \"{}\"\n", n, rag::source_label(a.sources[i]), mark, snippet(a.sources[i].text));
  }
}

void run_ask(AskArgs a) {
  if (!a.pdfs.empty() && !a.library.ephemeral) {
    throw Error("--pdf is for --ephemeral questions; to keep documents, use: pgpp ingest FILE... then pgpp ask");
  }
  if (a.library.ephemeral && a.pdfs.empty()) throw Error("--ephemeral needs the documents to ask about: --pdf FILE");
  if (!a.password.empty() && !a.library.ephemeral) {
    throw Error("--password is for --ephemeral --pdf files; a stored library takes it at: pgpp ingest --password");
  }
  kernels::CpuBackend cpu(compute_threads(a.decoder.threads));
  // The encoder runs where the decoder does (one --device for both).
  embed::Encoder encoder(encoder_path(a.library), cpu, a.decoder.session.device);
  auto library = open_library(a.library, true);
  if (a.library.ephemeral) {
    const auto report = ingest_paths(*library, encoder, a.pdfs, rag::Library::kDefaultCollection, a.password,
                                     "give it with --password");
    if (report.cancelled) throw Error("cancelled");
  }
  if (library->passage_count() == 0) throw Error("the library holds no searchable passage; ingest PDFs first");
  rag::VectorIndex index(*library, encoder.identity());
  index.refresh(*library);
  rag::Retriever retriever(*library, encoder, index);

  rag::AnswererOptions options;
  options.retrieval.top_k = a.sources;
  options.retrieval.per_document = a.per_document;
  if (!a.collection.empty()) options.retrieval.collection = library->collection(a.collection);
  options.retrieval.documents = resolve_documents(*library, a.documents);
  options.max_answer_tokens = a.decoder.session.max_tokens;

  if (a.retrieve_only) {
    const auto sources = retriever.retrieve(a.question, options.retrieval);
    if (a.json) {
      nlohmann::json out = nlohmann::json::array();
      for (std::size_t i = 0; i < sources.size(); ++i) out.push_back(source_json(sources[i], static_cast<int>(i + 1), false));
      fmt::print("{}\n", out.dump(1));
    } else {
      rag::Answer retrieved_only;
      retrieved_only.sources = sources;
      print_sources(retrieved_only);
    }
    return;
  }

  auto model = llm::LlamaModel::load(a.decoder.model);
  llm::SessionOptions session_options = a.decoder.session;
  session_options.chat_format = a.decoder.chat_format;
  llm::Session session(*model, cpu, session_options);
  rag::Answerer answerer(retriever, session, options);
  const bool stream = !a.json;
  const rag::Answer answer = answerer.answer(a.question, [&](std::string_view piece) {
    if (!stream) return;
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  });
  if (a.json) {
    nlohmann::json sources = nlohmann::json::array();
    for (std::size_t i = 0; i < answer.sources.size(); ++i) {
      const int n = static_cast<int>(i + 1);
      const bool cited = std::find(answer.parsed.cited.begin(), answer.parsed.cited.end(), n) != answer.parsed.cited.end();
      nlohmann::json source = source_json(answer.sources[i], n, cited);
      source["matched_by_wording"] = matched_by_wording(answer, n);
      sources.push_back(std::move(source));
    }
    nlohmann::json markers = nlohmann::json::array();
    for (const auto& m : answer.parsed.markers) {
      markers.push_back({{"number", m.number}, {"begin", m.begin}, {"end", m.end}, {"in_range", m.in_range}});
    }
    fmt::print("{}\n", nlohmann::json{{"question", a.question},
                                      {"answer", answer.text},
                                      {"abstained", answer.abstained},
                                      {"flagged", answer.flagged},
                                      {"flag_reason", answer.flag_reason},
                                      {"citations", markers},
                                      {"sources", sources},
                                      {"prompt_tokens", answer.generation.prompt_tokens},
                                      {"generated_tokens", answer.generation.generated_tokens}}
                           .dump(1));
    return;
  }
  fmt::print("\n");
  if (answer.flagged) fmt::print("(not grounded: {})\n", answer.flag_reason);
  if (static_cast<int>(answer.sources.size()) < answer.sources_found) {
    fmt::print("({} of {} sources found fit the context of {} tokens; -c raises it)\n", answer.sources.size(),
               answer.sources_found, session.context());
  }
  print_sources(answer);
  if (a.decoder.stats) {
    const auto& r = answer.generation;
    fmt::print(stderr, "[{} prompt tokens, {} generated; prefill {:.1f} tok/s, decode {:.1f} tok/s]\n", r.prompt_tokens,
               r.generated_tokens, r.prefill_tokens_per_second(), r.decode_tokens_per_second());
  }
}

}  // namespace

std::vector<int64_t> resolve_documents(const rag::Library& library, const std::vector<std::string>& names) {
  std::vector<int64_t> ids;
  if (names.empty()) return ids;
  const auto docs = library.documents();
  for (const auto& name : names) {
    bool found = false;
    for (const auto& d : docs) {
      if (std::to_string(d.id) == name || d.path == name || std::filesystem::path(d.path).filename() == name ||
          (std::filesystem::exists(name) && std::filesystem::absolute(name).string() == d.path)) {
        ids.push_back(d.id);
        found = true;
      }
    }
    if (!found) throw Error("no document '" + name + "' in the library (see: pgpp list)");
  }
  return ids;
}

std::string snippet(const std::string& text, std::size_t max_bytes) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  if (out.size() <= max_bytes) return out;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(out[end]) & 0xC0) == 0x80) --end;
  const std::size_t sp = out.rfind(' ', end);
  if (sp != std::string::npos && sp > end / 2) end = sp;
  return out.substr(0, end) + " ...";
}

void add_ask_command(CLI::App& app) {
  auto args = std::make_shared<AskArgs>();
  // Grounded answers read the sources best without sampling noise; --temp changes that.
  args->decoder.session.sampling = llm::SamplerParams::greedy();
  // Small models loop on one sentence under greedy decoding; a mild penalty (llama.cpp's
  // customary 1.1) breaks the loop without pushing the answer off the sources' words much.
  args->decoder.session.sampling.repeat_penalty = 1.1f;
  args->decoder.session.max_tokens = 256;
  args->decoder.session.context = 2048;
  auto* cmd = app.add_subcommand("ask", "Answer a question from the library's documents, citing the pages used");
  cmd->add_option("question", args->question, "the question")->required();
  cmd->add_option("--pdf", args->pdfs, "with --ephemeral: PDF files or folders to ask about (repeatable)");
  cmd->add_option("--password", args->password, "with --ephemeral: password of locked --pdf files");
  cmd->add_option("--collection", args->collection, "only documents of this collection");
  cmd->add_option("--document", args->documents, "only this document: id, file name or path (repeatable)");
  cmd->add_option("--sources", args->sources, "sources given to the model")->capture_default_str();
  cmd->add_option("--per-document", args->per_document, "sources from one document at most (0: no cap)")
      ->capture_default_str();
  cmd->add_flag("--retrieve-only", args->retrieve_only, "show the sources found, without an answer");
  cmd->add_flag("--json", args->json, "print the answer, citations and sources as JSON (not streamed)");
  add_library_options(*cmd, args->library, true, false);
  cmd->add_option("--encoder", args->library.encoder, "encoder folder or BERT GGUF file (default: the default encoder)");
  add_decoder_options(*cmd, args->decoder);
  cmd->callback([args] { run_ask(*args); });
}

}  // namespace pgpp::app
