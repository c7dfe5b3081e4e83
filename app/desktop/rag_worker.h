#pragma once
// Everything slow, on one thread of its own: loading models, ingesting PDFs, embedding, retrieval
// and generation. The window talks to it with queued calls and hears back through queued
// signals, so the GUI thread never waits. The library, encoder, index and decoder live here and
// are touched by this thread only.
//
// cancelIngest() and stopAnswer() are the two calls made directly from the GUI thread: they
// only trigger a stop token, which the running work checks within one batch or one token.
#include <QObject>
#include <QStringList>
#include <memory>
#include <mutex>
#include <stop_token>

#include "app/desktop/desktop_settings.h"
#include "app/desktop/desktop_types.h"

namespace pgpp::kernels {
class CpuBackend;
class GgufFile;
}
namespace pgpp::embed {
class Encoder;
}
namespace pgpp::llm {
class LlamaModel;
class Session;
}  // namespace pgpp::llm
namespace pgpp::rag {
class Library;
class VectorIndex;
class ConversationStore;
}  // namespace pgpp::rag

namespace pgpp::app {

class RagWorker : public QObject {
  Q_OBJECT
 public:
  RagWorker();
  ~RagWorker() override;

  // Thread-safe: called from the GUI thread while the worker is busy.
  void cancelIngest();
  void stopAnswer();

 public slots:
  void open(const pgpp::app::DesktopSettings& settings);
  // `password` opens locked PDFs of this run (empty: none).
  void ingest(const QStringList& paths, const QString& collection, const QString& password = {});
  void ask(const QString& question, const QString& collection);
  void removeDocument(qint64 id);
  void reindexDocument(qint64 id, const QString& collection);
  void addCollection(const QString& name);
  void loadHistory(const QString& collection);
  void clearHistory(const QString& collection);

 signals:
  void opened(const QString& decoderFacts, const QString& encoderFacts, bool ephemeral);
  // `what` is for a person; `details` goes to the log.
  void failed(const QString& what, const QString& details);
  void logLine(const QString& line);
  void libraryChanged(const pgpp::app::LibrarySnapshot& snapshot);
  void ingestStarted(const QStringList& files, const QString& collection);
  void ingestProgress(const pgpp::app::IngestStatus& status);
  void ingestFinished(const QList<pgpp::app::IngestFileEntry>& files, bool cancelled);
  void answerStarted(const QString& question);
  void answerText(const QString& piece);
  void answerSources(const pgpp::app::AnswerEntry& sourcesOnly);
  void answerFinished(const pgpp::app::AnswerEntry& answer);
  void historyLoaded(const QString& collection, const QList<pgpp::app::AnswerEntry>& turns);

 private:
  void publishLibrary();
  bool ready(const char* action);
  std::stop_token begin_stop(std::stop_source& source);

  DesktopSettings settings_;
  std::unique_ptr<kernels::CpuBackend> cpu_;
  std::unique_ptr<embed::Encoder> encoder_;
  std::unique_ptr<rag::Library> library_;
  std::unique_ptr<rag::VectorIndex> index_;
  std::unique_ptr<rag::ConversationStore> conversations_;
  std::unique_ptr<llm::LlamaModel> model_;
  std::unique_ptr<llm::Session> session_;

  std::mutex stop_mutex_;
  std::stop_source ingest_stop_;
  std::stop_source answer_stop_;
};

// "llama, 135M parameters, 30 layers, ..." as `pgpp models` describes them; throws pgpp::Error.
QString describe_decoder_file(const QString& path);
QString describe_decoder(const kernels::GgufFile& file);
QString describe_encoder_folder(const QString& path);

}  // namespace pgpp::app
