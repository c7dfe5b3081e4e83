#pragma once
// The library: collections and their documents with their status, the files being added with
// a progress bar each and one overall (rate and time left), and the buttons to add (also by
// dropping files and folders), remove, re-index and cancel.
#include <QHash>
#include <QStringList>
#include <QWidget>

#include "app/desktop/desktop_types.h"

class QLabel;
class QProgressBar;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace pgpp::app {

class LibraryPanel : public QWidget {
  Q_OBJECT
 public:
  explicit LibraryPanel(QWidget* parent = nullptr);

  QString currentCollection() const;
  bool ingesting() const { return ingesting_; }
  QTreeWidget* tree() const { return tree_; }
  QProgressBar* overallProgress() const { return overall_; }
  QPushButton* cancelButton() const { return cancel_; }
  QLabel* statusLine() const { return rate_; }
  // Documents of the collection with this many passages or more, as shown.
  int documentCount(const QString& collection) const;

 public slots:
  void showLibrary(const pgpp::app::LibrarySnapshot& snapshot);
  void startIngest(const QStringList& files, const QString& collection);
  void showProgress(const pgpp::app::IngestStatus& status);
  void finishIngest(const QList<pgpp::app::IngestFileEntry>& files, bool cancelled);
  void chooseFiles();
  void chooseFolder();
  void removeSelected();
  void reindexSelected();

 signals:
  void addRequested(const QStringList& paths, const QString& collection);
  void removeRequested(qint64 id);
  void reindexRequested(qint64 id, const QString& collection);
  void newCollectionRequested(const QString& name);
  void unlockRequested(const QString& path, const QString& collection, const QString& password);
  void cancelRequested();
  void collectionChanged(const QString& name);

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void updateButtons();
  void askNewCollection();
  void unlock(QTreeWidgetItem* item);
  void rebuild();
  void addPendingRow(QTreeWidgetItem* parent, const QString& path);
  qint64 selectedDocument() const;

  QTreeWidget* tree_;
  QPushButton* add_files_;
  QPushButton* add_folder_;
  QPushButton* remove_;
  QPushButton* reindex_;
  QPushButton* cancel_;
  QProgressBar* overall_;
  QLabel* rate_;
  QString selected_collection_;
  bool ingesting_ = false;
  QString ingest_collection_;
  pgpp::app::LibrarySnapshot snapshot_;
  // Files of the running ingestion, in order, with their progress (0 waiting, -1 busy, 100 done).
  QStringList pending_order_;
  QHash<QString, int> pending_percent_;
  QHash<QString, QProgressBar*> pending_bars_;
  QHash<QString, QTreeWidgetItem*> pending_items_;
  QList<pgpp::app::IngestFileEntry> problems_;  // failed files, kept visible until the next run
};

}  // namespace pgpp::app
