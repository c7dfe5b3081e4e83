#include "app/desktop/rag_worker.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <algorithm>
#include <filesystem>

#include "app/cli/library_location.h"
#include "embed/encoder.h"
#include "embed/encoder_facts.h"
#include "kernels/cpu_backend.h"
#include "kernels/error.h"
#include "kernels/gguf_file.h"
#include "llm/decoder_facts.h"
#include "llm/llama_model.h"
#include "llm/session.h"
#include "rag/answerer.h"
#include "rag/conversation_store.h"
#include "rag/ingest_pipeline.h"
#include "rag/library.h"
#include "rag/vector_index.h"

namespace pgpp::app {

namespace {

QString qs(const std::string& s) {
  return QString::fromStdString(s);
}

QString human_count(int64_t n) {
  if (n >= 1'000'000'000) return QString::number(n / 1e9, 'f', 1) + "B";
  if (n >= 1'000'000) return QString::number(n / 1e6, 'f', 1) + "M";
  if (n >= 1'000) return QString::number(n / 1e3, 'f', 1) + "k";
  return QString::number(n);
}

QList<int> cited_numbers(const rag::Answer& a) {
  QList<int> out;
  for (int n : a.parsed.cited) out.push_back(n);
  return out;
}

AnswerEntry entry_of(const rag::Answer& a) {
  AnswerEntry e;
  e.question = qs(a.question);
  e.text = qs(a.text);
  e.sources = a.sources;
  e.cited = cited_numbers(a);
  for (const auto& m : a.matched) e.matched.push_back({static_cast<int>(m.end), m.number});
  e.flagged = a.flagged;
  e.flag_reason = qs(a.flag_reason);
  e.stopped = a.generation.stop == llm::StopReason::Cancelled;
  e.sources_found = a.sources_found;
  return e;
}

}  // namespace

QString describe_decoder_file(const QString& path) {
  return describe_decoder(kernels::GgufFile(path.toStdString()));
}

QString describe_decoder(const kernels::GgufFile& file) {
  const auto f = llm::read_decoder_facts(file);
  QString mix;
  for (const auto& [type, count] : f.tensor_types) {
    if (!mix.isEmpty()) mix += ", ";
    mix += QString("%1 x%2").arg(qs(type)).arg(count);
  }
  return QString(
             "%1 — %2 parameters\n%3, %4 layers, %5 embedding, %6 heads (%7 kv)\ntensors "
             "%8\ncontext %9 tokens; "
             "tokenizer %10, %11 tokens; chat template: %12\nfile size %13 MB")
      .arg(qs(f.name), human_count(f.parameters), qs(f.architecture))
      .arg(f.layers)
      .arg(f.embedding)
      .arg(f.heads)
      .arg(f.kv_heads)
      .arg(mix)
      .arg(f.context_length)
      .arg(qs(f.tokenizer))
      .arg(f.vocab_size)
      .arg(f.has_chat_template ? "yes" : "no")
      .arg(QString::number(f.file_bytes / 1e6, 'f', 1));
}

QString describe_encoder_folder(const QString& path) {
  const auto f = embed::read_encoder_facts(path.toStdString());
  return QString(
             "%1 — %2 parameters\n%3, %4 layers, %5 hidden, %6 heads\noutput %5 dimensions, %7 "
             "pooling%8\n"
             "max tokens %9; weights %10, vocabulary of %11")
      .arg(qs(f.name), human_count(f.parameters), qs(f.architecture))
      .arg(f.layers)
      .arg(f.hidden)
      .arg(f.heads)
      .arg(qs(f.pooling), f.normalize ? ", normalized" : "")
      .arg(f.max_tokens)
      .arg(qs(f.weights_type))
      .arg(f.vocab_size);
}

RagWorker::RagWorker() = default;
RagWorker::~RagWorker() = default;

void RagWorker::cancelIngest() {
  std::lock_guard lock(stop_mutex_);
  ingest_stop_.request_stop();
}

void RagWorker::stopAnswer() {
  std::lock_guard lock(stop_mutex_);
  answer_stop_.request_stop();
}

std::stop_token RagWorker::begin_stop(std::stop_source& source) {
  std::lock_guard lock(stop_mutex_);
  source = std::stop_source();
  return source.get_token();
}

bool RagWorker::ready(const char* action) {
  if (library_ && encoder_) return true;
  emit failed(QString("Cannot %1: the models are not loaded yet (see Settings).").arg(action), {});
  return false;
}

void RagWorker::open(const DesktopSettings& settings) {
  // Drop the old state first: a library file is opened by one object at a time here.
  session_.reset();
  model_.reset();
  conversations_.reset();
  index_.reset();
  library_.reset();
  encoder_.reset();
  cpu_.reset();
  settings_ = settings;
  QString step;
  try {
    step = "load the encoder " + settings.encoder;
    emit logLine("Loading encoder " + settings.encoder);
    cpu_ = std::make_unique<kernels::CpuBackend>(compute_threads(settings.threads));
    const kernels::Device device = settings.device == "gpu"   ? kernels::Device::Cuda
                                   : settings.device == "cpu" ? kernels::Device::Cpu
                                                              : kernels::Device::Auto;
    encoder_ = std::make_unique<embed::Encoder>(settings.encoder.toStdString(), *cpu_, device);
    const QString encoder_facts = describe_encoder_folder(settings.encoder);

    step = "load the decoder " + settings.decoder;
    emit logLine("Loading decoder " + settings.decoder);
    model_ = llm::LlamaModel::load(settings.decoder.toStdString());
    const QString decoder_facts = describe_decoder(model_->file());  // the file already open
    llm::SessionOptions so;
    so.context = settings.context;
    so.max_tokens = 256;
    so.sampling = llm::SamplerParams::greedy();
    so.sampling.temperature = static_cast<float>(settings.temperature);
    // As `pgpp ask`: a mild penalty keeps a small model from repeating one sentence.
    so.sampling.repeat_penalty = 1.1f;
    so.device = device;
    session_ = std::make_unique<llm::Session>(*model_, *cpu_, so);
    emit logLine("Decoder runs on " + qs(session_->device_description()));

    step = settings.ephemeral ? QString("open an in-memory library")
                              : "open the library in " + settings.library;
    LibraryCliOptions lo;
    lo.dir = settings.library.toStdString();
    lo.ephemeral = settings.ephemeral;
    library_ = open_library(lo, false);
    library_->collection(rag::Library::kDefaultCollection);
    conversations_ = std::make_unique<rag::ConversationStore>(*library_);
    index_ = std::make_unique<rag::VectorIndex>(*library_, encoder_->identity());
    index_->refresh(*library_);
    emit logLine(QString("Library %1: %2 passages")
                     .arg(settings.ephemeral ? QString("in memory (ephemeral)")
                                             : qs(library_->path().string()))
                     .arg(library_->passage_count()));
    emit opened(decoder_facts, encoder_facts, settings.ephemeral);
    publishLibrary();
  } catch (const std::exception& e) {
    session_.reset();
    model_.reset();
    conversations_.reset();
    index_.reset();
    library_.reset();
    encoder_.reset();
    emit failed(QString("Could not %1.").arg(step), QString::fromUtf8(e.what()));
  }
}

void RagWorker::publishLibrary() {
  if (!library_) return;
  LibrarySnapshot snapshot;
  try {
    for (const auto& name : library_->collections()) {
      CollectionEntry c;
      c.name = qs(name);
      for (const auto& d : library_->documents(library_->collection(name))) {
        DocumentEntry e;
        e.id = d.id;
        e.path = qs(d.path);
        e.title = qs(d.title);
        e.status = qs(d.status);
        for (const auto& r : d.reasons) e.reasons.push_back(qs(r));
        e.pages = d.pages;
        e.passages = d.passages;
        c.documents.push_back(e);
      }
      snapshot.push_back(c);
    }
  } catch (const std::exception& e) {
    emit failed("Could not read the library.", QString::fromUtf8(e.what()));
    return;
  }
  emit libraryChanged(snapshot);
}

void RagWorker::addCollection(const QString& name) {
  if (!ready("add a collection")) return;
  try {
    library_->collection(name.toStdString());
  } catch (const std::exception& e) {
    emit failed("Could not add the collection " + name + ".", QString::fromUtf8(e.what()));
  }
  publishLibrary();
}

void RagWorker::ingest(const QStringList& paths, const QString& collection,
                       const QString& password) {
  if (!ready("add documents")) return;
  using Status = rag::IngestFileResult::Status;
  std::vector<std::filesystem::path> in;
  for (const auto& p : paths) in.emplace_back(p.toStdString());
  std::vector<rag::IngestFileResult> rejected;
  QList<IngestFileEntry> results;
  bool cancelled = false;
  try {
    const auto files = rag::collect_pdf_files(in, rejected);
    QStringList names;
    for (const auto& f : files) names.push_back(qs(f.string()));
    emit ingestStarted(names, collection);
    emit logLine(QString("Adding %1 PDF file(s) to '%2'").arg(files.size()).arg(collection));

    rag::IngestOptions options;
    options.collection = collection.toStdString();
    options.reading.password = password.toStdString();
    rag::IngestPipeline pipeline(*library_, *encoder_, options);
    const auto stop = begin_stop(ingest_stop_);
    QElapsedTimer since_emit;
    since_emit.start();
    int last_done = -1;
    // Called on this thread; the window needs a few updates a second, not one per batch.
    auto progress = [&](const rag::IngestProgress& p) {
      const bool file_done = p.files_done != last_done;
      if (!file_done && since_emit.elapsed() < 100) return;
      last_done = p.files_done;
      since_emit.restart();
      emit ingestProgress({p.files_total, p.files_done, p.pages, p.passages, p.pages_per_second,
                           p.passages_per_second, p.seconds_left, qs(p.current)});
      // A file just stored (its transaction committed on this thread): show it in the library now.
      if (file_done && p.files_done > 0) publishLibrary();
    };
    auto report = pipeline.run(files, progress, stop);
    report.files.insert(report.files.end(), rejected.begin(), rejected.end());
    cancelled = report.cancelled;
    for (const auto& f : report.files) {
      results.push_back({qs(f.path.string()), rag::ingest_status_name(f.status), qs(f.reason),
                         f.pages, f.passages});
      if (f.status == Status::kFailed || f.status == Status::kSkipped) {
        emit logLine(
            QString("%1: %2 — %3")
                .arg(rag::ingest_status_name(f.status), qs(f.path.string()), qs(f.reason)));
      }
    }
    emit logLine(QString("%1 added, %2 unchanged, %3 failed: %4 pages, %5 passages in %6 s%7")
                     .arg(report.count(Status::kAdded) + report.count(Status::kReplaced))
                     .arg(report.count(Status::kUnchanged))
                     .arg(report.count(Status::kFailed) + report.count(Status::kSkipped))
                     .arg(report.pages)
                     .arg(report.passages)
                     .arg(report.seconds, 0, 'f', 1)
                     .arg(cancelled ? " (cancelled)" : ""));
    index_->refresh(*library_);
  } catch (const std::exception& e) {
    emit failed("Adding documents stopped with an error.", QString::fromUtf8(e.what()));
  }
  emit ingestFinished(results, cancelled);
  publishLibrary();
}

void RagWorker::removeDocument(qint64 id) {
  if (!ready("remove a document")) return;
  try {
    const auto doc = library_->document(id);
    if (library_->remove_document(id)) {
      emit logLine("Removed " + (doc ? qs(doc->path) : QString::number(id)));
      index_->refresh(*library_);
    }
  } catch (const std::exception& e) {
    emit failed("Could not remove the document.", QString::fromUtf8(e.what()));
  }
  publishLibrary();
}

void RagWorker::reindexDocument(qint64 id, const QString& collection) {
  if (!ready("re-index a document")) return;
  QString path;
  try {
    const auto doc = library_->document(id);
    if (!doc) return;
    path = qs(doc->path);
    if (!QFileInfo::exists(path)) {
      emit failed(QString("Cannot re-index %1: the file is no longer there.").arg(path), {});
      return;
    }
    // Same content is otherwise recognised and skipped; removing first makes it read again.
    library_->remove_document(id);
  } catch (const std::exception& e) {
    emit failed("Could not re-index the document.", QString::fromUtf8(e.what()));
    return;
  }
  ingest({path}, collection);
}

void RagWorker::ask(const QString& question, const QString& collection) {
  if (!ready("answer")) return;
  emit answerStarted(question);
  try {
    const int64_t collection_id = library_->collection(collection.toStdString());
    rag::AnswererOptions options;
    options.retrieval.top_k = settings_.passages;
    options.retrieval.collection = collection_id;
    options.max_answer_tokens = session_->options().max_tokens;
    index_->refresh(*library_);
    rag::Retriever retriever(*library_, *encoder_, *index_);
    auto sources = retriever.retrieve(question.toStdString(), options.retrieval);
    if (sources.empty()) {
      throw Error("the collection '" + collection.toStdString() +
                  "' holds no searchable passage yet; add PDFs first");
    }
    AnswerEntry early;
    early.question = question;
    early.sources = sources;
    emit answerSources(early);
    rag::Answerer answerer(retriever, *session_, options);
    const auto stop = begin_stop(answer_stop_);
    const rag::Answer a = answerer.answer_from(
        question.toStdString(), std::move(sources),
        [this](std::string_view piece) {
          emit answerText(QString::fromUtf8(piece.data(), piece.size()));
        },
        stop);
    AnswerEntry e = entry_of(a);
    if (!e.stopped && conversations_)
      conversations_->add_turn(collection_id, a.question, a.text, a.sources);
    emit logLine(QString("Answer: %1 prompt tokens, %2 generated, %3 tok/s%4")
                     .arg(a.generation.prompt_tokens)
                     .arg(a.generation.generated_tokens)
                     .arg(a.generation.decode_tokens_per_second(), 0, 'f', 1)
                     .arg(e.flagged ? " — not grounded: " + e.flag_reason : QString()));
    emit answerFinished(e);
  } catch (const std::exception& ex) {
    AnswerEntry e;
    e.question = question;
    e.stopped = true;
    emit failed("Could not answer: " + QString::fromUtf8(ex.what()), QString::fromUtf8(ex.what()));
    emit answerFinished(e);
  }
}

void RagWorker::loadHistory(const QString& collection) {
  if (!library_ || !conversations_) return;
  QList<AnswerEntry> out;
  try {
    for (auto& t : conversations_->turns(library_->collection(collection.toStdString()))) {
      rag::Answer a;
      a.question = t.question;
      a.text = t.answer;
      a.sources = std::move(t.sources);
      rag::resolve_citations(a);
      out.push_back(entry_of(a));
    }
  } catch (const std::exception& e) {
    emit failed("Could not read the conversation history.", QString::fromUtf8(e.what()));
  }
  emit historyLoaded(collection, out);
}

void RagWorker::clearHistory(const QString& collection) {
  if (!library_ || !conversations_) return;
  try {
    conversations_->clear(library_->collection(collection.toStdString()));
  } catch (const std::exception& e) {
    emit failed("Could not clear the conversation history.", QString::fromUtf8(e.what()));
  }
  loadHistory(collection);
}

}  // namespace pgpp::app
