#include "app/cli/command_eval.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/cli/command_generate.h"
#include "app/cli/library_location.h"
#include "embed/encoder.h"
#include "kernels/cpu_backend.h"
#include "kernels/error.h"
#include "llm/llama_model.h"
#include "rag/answerer.h"
#include "rag/vector_index.h"

namespace pgpp::app {

namespace {

struct EvalArgs {
  LibraryCliOptions library;
  DecoderCliOptions decoder;
  std::string questions;
  bool generate = false;
  int limit = 0;
  rag::RetrieverOptions retrieval;  // --per-document and the tuning knobs below
  int prompt_sources = rag::RetrieverOptions{}.top_k;
  rag::PromptOptions prompt;
};

struct Question {
  std::string id, file, question, answer, lang;
  std::vector<int> pages;
  bool answerable() const { return !file.empty(); }
};

std::vector<Question> read_questions(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the question file");
  std::vector<Question> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const auto j = nlohmann::json::parse(line);
      Question q;
      q.id = j.value("id", fmt::format("line-{}", n));
      q.question = j.at("question").get<std::string>();
      if (j.contains("file") && j["file"].is_string()) q.file = j["file"].get<std::string>();
      if (j.contains("answer") && j["answer"].is_string()) q.answer = j["answer"].get<std::string>();
      q.lang = j.value("lang", "en");
      if (j.contains("pages") && j["pages"].is_array()) q.pages = j["pages"].get<std::vector<int>>();
      out.push_back(std::move(q));
    } catch (const nlohmann::json::exception& e) {
      throw Error(fmt::format("{}:{}: not a question object ({})", path, n, e.what()));
    }
  }
  return out;
}

// The eval's string match: whitespace collapsed and ASCII case ignored; for Chinese and Japanese
// all whitespace ignored (as check-questions.py does).
std::string match_form(std::string_view s, bool drop_spaces) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space && !drop_spaces) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// A question names its file as in the corpus ("r-doc-pdf--R-data.pdf" = package--file).
bool same_file(const std::string& question_file, const std::string& doc_path) {
  const std::string name = std::filesystem::path(doc_path).filename().string();
  if (name == question_file) return true;
  const std::string suffix = "--" + name;
  const std::string qname = std::filesystem::path(question_file).filename().string();
  return qname.size() > suffix.size() && qname.compare(qname.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct Ranks {
  int page = 0, answer = 0;  // 1-based rank of the first hit, 0 = none in the list
};

Ranks rank_of(const Question& q, const std::vector<rag::RetrievedSource>& sources) {
  Ranks r;
  const bool cjk = q.lang == "ja" || q.lang == "zh";
  const std::string answer = match_form(q.answer, cjk);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const auto& s = sources[i];
    if (!same_file(q.file, s.path)) continue;
    const int rank = static_cast<int>(i + 1);
    if (!r.page && std::any_of(q.pages.begin(), q.pages.end(), [&](int p) { return p >= s.page_first && p <= s.page_last; })) {
      r.page = rank;
    }
    if (!r.answer && !answer.empty() && match_form(s.text, cjk).find(answer) != std::string::npos) r.answer = rank;
  }
  return r;
}

void run_eval(const EvalArgs& a) {
  const auto questions = read_questions(a.questions);
  kernels::CpuBackend cpu(compute_threads(a.decoder.threads));
  // The encoder runs where the decoder does (one --device for both).
  embed::Encoder encoder(encoder_path(a.library), cpu, a.decoder.session.device);
  auto library = open_library(a.library, true);
  const auto docs = library->documents();
  rag::VectorIndex index(*library, encoder.identity());
  index.refresh(*library);
  rag::Retriever retriever(*library, encoder, index);
  rag::RetrieverOptions retrieval = a.retrieval;
  retrieval.top_k = std::max(10, a.prompt_sources);

  std::unique_ptr<llm::LlamaModel> model;
  std::unique_ptr<llm::Session> session;
  std::unique_ptr<rag::Answerer> answerer;
  if (a.generate) {
    model = llm::LlamaModel::load(a.decoder.model);
    llm::SessionOptions so = a.decoder.session;
    so.chat_format = a.decoder.chat_format;
    session = std::make_unique<llm::Session>(*model, cpu, so);
    rag::AnswererOptions ao;
    ao.max_answer_tokens = a.decoder.session.max_tokens;
    ao.prompt = a.prompt;
    answerer = std::make_unique<rag::Answerer>(retriever, *session, ao);
  }

  int scored = 0, skipped = 0, unanswerable = 0;
  double hit_page[3] = {0, 0, 0}, hit_answer[3] = {0, 0, 0}, mrr_page = 0, mrr_answer = 0;
  int answered = 0, cited_right = 0, flagged = 0, abstained_unanswerable = 0, abstained_answerable = 0,
      answer_in_text = 0;
  nlohmann::json per_question = nlohmann::json::array();
  int done = 0;
  for (const auto& q : questions) {
    if (a.limit > 0 && done >= a.limit) break;
    const bool in_library =
        q.answerable() && std::any_of(docs.begin(), docs.end(), [&](const auto& d) { return same_file(q.file, d.path); });
    if (q.answerable() && !in_library) {
      ++skipped;
      continue;
    }
    if (!q.answerable() && !a.generate) {
      ++unanswerable;
      continue;
    }
    ++done;
    nlohmann::json row{{"id", q.id}};
    auto sources = retriever.retrieve(q.question, retrieval);
    if (q.answerable()) {
      ++scored;
      const Ranks r = rank_of(q, sources);
      const int ks[3] = {1, 5, 10};
      for (int i = 0; i < 3; ++i) {
        hit_page[i] += r.page && r.page <= ks[i];
        hit_answer[i] += r.answer && r.answer <= ks[i];
      }
      mrr_page += r.page ? 1.0 / r.page : 0;
      mrr_answer += r.answer ? 1.0 / r.answer : 0;
      row["lang"] = q.lang;
      row["page_rank"] = r.page;
      if (r.page) {  // where each ranker put the evidence
        row["dense_rank"] = sources[static_cast<std::size_t>(r.page - 1)].dense_rank;
        row["bm25_rank"] = sources[static_cast<std::size_t>(r.page - 1)].bm25_rank;
      }
      row["answer_rank"] = r.answer;
    } else {
      ++unanswerable;
    }
    if (answerer) {
      // The prompt gets the product's number of sources, not the 10 ranked for hit@10.
      sources.resize(std::min<std::size_t>(sources.size(), static_cast<std::size_t>(a.prompt_sources)));
      const rag::Answer ans = answerer->answer_from(q.question, std::move(sources));
      row["answer"] = ans.text;
      row["abstained"] = ans.abstained;
      row["flagged"] = ans.flagged;
      flagged += ans.flagged;
      if (q.answerable()) {
        abstained_answerable += ans.abstained;
        if (!ans.abstained) {
          ++answered;
          const bool cjk = q.lang == "ja" || q.lang == "zh";
          answer_in_text += match_form(ans.text, cjk).find(match_form(q.answer, cjk)) != std::string::npos;
          bool right = false;
          for (const auto& c : ans.citations) {
            const auto& s = ans.sources[static_cast<std::size_t>(c.source)];
            right = right || (same_file(q.file, s.path) &&
                              std::any_of(q.pages.begin(), q.pages.end(),
                                          [&](int p) { return p >= s.page_first && p <= s.page_last; }));
          }
          cited_right += right;
          row["cites_evidence_page"] = right;
        }
      } else {
        abstained_unanswerable += ans.abstained;
      }
    }
    per_question.push_back(row);
    fmt::print(stderr, "\r{} questions", done);
  }
  fmt::print(stderr, "\n");
  auto share = [](double x, int n) { return n > 0 ? x / n : 0.0; };
  nlohmann::json out{
      {"questions_file", a.questions},
      {"library_documents", docs.size()},
      {"scored", scored},
      {"skipped_not_in_library", skipped},
      {"retrieval",
       {{"by_page", {{"hit@1", share(hit_page[0], scored)}, {"hit@5", share(hit_page[1], scored)},
                     {"hit@10", share(hit_page[2], scored)}, {"mrr", share(mrr_page, scored)}}},
        {"by_answer", {{"hit@1", share(hit_answer[0], scored)}, {"hit@5", share(hit_answer[1], scored)},
                       {"hit@10", share(hit_answer[2], scored)}, {"mrr", share(mrr_answer, scored)}}}}},
      {"per_question", per_question}};
  if (a.generate) {
    out["generation"] = {{"answered", answered},
                         {"citation_accuracy", share(cited_right, answered)},
                         {"answer_string_in_answer", share(answer_in_text, answered)},
                         {"flagged", share(flagged, done)},
                         {"unanswerable", unanswerable},
                         {"abstention_on_unanswerable", share(abstained_unanswerable, unanswerable)},
                         {"false_abstention", share(abstained_answerable, scored)}};
  } else {
    out["unanswerable_not_scored"] = unanswerable;
  }
  fmt::print("{}\n", out.dump(1));
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  args->decoder.session.sampling = llm::SamplerParams::greedy();
  args->decoder.session.max_tokens = 128;
  args->decoder.session.context = 2048;
  auto* cmd = app.add_subcommand("eval", "Measure retrieval (and with --generate, answer) quality on a question set");
  cmd->add_option("questions", args->questions, "JSONL: id, file, pages, question, answer, lang")->required();
  cmd->add_flag("--generate", args->generate, "also answer each question: citation accuracy and abstention");
  auto& r = args->retrieval;
  cmd->add_option("--per-document", r.per_document, "sources from one document at most")->capture_default_str();
  // Retrieval knobs, for measuring what a change does before it becomes the default.
  cmd->add_option("--rrf-k", r.rrf_k, "reciprocal rank fusion constant")->capture_default_str();
  cmd->add_option("--candidates", r.candidates, "passages taken from each ranker")->capture_default_str();
  cmd->add_option("--max-group", r.max_group, "adjacent passages merged into one source")->capture_default_str();
  cmd->add_option("--dense-weight", r.dense_weight, "fusion weight of the dense ranker")->capture_default_str();
  cmd->add_option("--bm25-weight", r.bm25_weight, "fusion weight of BM25")->capture_default_str();
  cmd->add_option("--bm25-stop-words", r.bm25_drop_stop_words, "drop function words from the BM25 query (0/1)")
      ->capture_default_str();
  cmd->add_option("--title-weight", r.title_weight, "boost of documents whose title or file name matches")
      ->capture_default_str();
  cmd->add_option("--contents-factor", r.contents_factor, "score factor of table-of-contents passages")
      ->capture_default_str();
  cmd->add_option("--prompt-sources", args->prompt_sources, "sources given to the decoder with --generate")
      ->capture_default_str();
  cmd->add_option("--source-bytes", args->prompt.source_bytes, "cut each source in the prompt to this size (0: whole)")
      ->capture_default_str();
  cmd->add_option("--example-turn", args->prompt.example_turn, "show the decoder a worked cited answer first (0/1)")
      ->capture_default_str();
  cmd->add_option("--limit", args->limit, "at most this many questions (0: all)");
  add_library_options(*cmd, args->library, false, false);
  cmd->add_option("--encoder", args->library.encoder, "encoder folder or BERT GGUF file (default: the default encoder)");
  add_decoder_options(*cmd, args->decoder);
  cmd->callback([args] { run_eval(*args); });
}

}  // namespace pgpp::app
