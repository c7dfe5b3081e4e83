#pragma once
// What the worker thread tells the window: plain copies, safe to queue between threads.
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <vector>

#include "rag/retriever.h"

namespace pgpp::app {

struct DocumentEntry {
  qint64 id = 0;
  QString path;
  QString title;
  QString status;  // ok, partial, not-searchable
  QStringList reasons;
  int pages = 0;
  int passages = 0;
};

struct CollectionEntry {
  QString name;
  QList<DocumentEntry> documents;
};
using LibrarySnapshot = QList<CollectionEntry>;

// The overall state of one ingestion run.
struct IngestStatus {
  int files_total = 0;
  int files_done = 0;
  qint64 pages = 0;
  qint64 passages = 0;
  double pages_per_second = 0;
  double passages_per_second = 0;
  double seconds_left = -1;
  QString current;  // file name
};

struct IngestFileEntry {
  QString path;
  QString status;  // added, replaced, unchanged, skipped, failed, cancelled
  QString reason;
  int pages = 0;
  int passages = 0;
};

struct AnswerEntry {
  QString question;
  QString text;
  std::vector<rag::RetrievedSource> sources;
  QList<int> cited;  // by the model's own [n]
  // Sentences the model left without [n], matched to a source by wording: (end byte in text, n).
  QList<QPair<int, int>> matched;
  bool flagged = false;
  QString flag_reason;
  bool stopped = false;
  int sources_found = 0;
};

}  // namespace pgpp::app

Q_DECLARE_METATYPE(pgpp::app::LibrarySnapshot)
Q_DECLARE_METATYPE(pgpp::app::IngestStatus)
Q_DECLARE_METATYPE(pgpp::app::IngestFileEntry)
Q_DECLARE_METATYPE(pgpp::app::AnswerEntry)
