#include "app/desktop/library_panel.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSet>
#include <QShortcut>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "rag/pdf_reader.h"

namespace pgpp::app {

namespace {

enum Column { kName, kStatus, kPages, kPassages, kProgress };
constexpr int kIdRole = Qt::UserRole + 1;  // document id (0 for collections and pending files)
constexpr int kCollectionRole = Qt::UserRole + 2;  // the collection a row belongs to
constexpr int kLockedRole = Qt::UserRole + 3;  // path of a file that failed for want of a password

QString clock_text(double seconds) {
  if (seconds < 0) return "--:--";
  const auto s = static_cast<long>(seconds + 0.5);
  return s >= 3600 ? QString("%1:%2:%3")
                         .arg(s / 3600)
                         .arg(s / 60 % 60, 2, 10, QChar('0'))
                         .arg(s % 60, 2, 10, QChar('0'))
                   : QString("%1:%2").arg(s / 60, 2, 10, QChar('0')).arg(s % 60, 2, 10, QChar('0'));
}

QString status_text(const DocumentEntry& d) {
  if (d.status == "ok") return "indexed";
  if (d.status == "partial") return "partly searchable";
  if (d.status == "not-searchable") return "not searchable";
  return d.status;
}

}  // namespace

LibraryPanel::LibraryPanel(QWidget* parent) : QWidget(parent) {
  setAcceptDrops(true);
  tree_ = new QTreeWidget(this);
  tree_->setColumnCount(5);
  tree_->setHeaderLabels({"Document", "Status", "Pages", "Passages", "Progress"});
  tree_->header()->setSectionResizeMode(kName, QHeaderView::Stretch);
  tree_->header()->setStretchLastSection(false);
  for (int c : {kStatus, kPages, kPassages})
    tree_->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
  tree_->setColumnWidth(kProgress, 80);
  tree_->header()->setMinimumSectionSize(40);
  setMinimumWidth(380);
  tree_->setAlternatingRowColors(true);
  tree_->setSelectionMode(QAbstractItemView::SingleSelection);
  tree_->setToolTip("Drop PDF files or folders here to add them");
  tree_->setAccessibleName("Library");

  add_files_ = new QPushButton(style()->standardIcon(QStyle::SP_FileIcon), "Add PDFs…", this);
  add_folder_ = new QPushButton(style()->standardIcon(QStyle::SP_DirIcon), "Add folder…", this);
  auto* new_collection = new QPushButton("New collection…", this);
  remove_ = new QPushButton(style()->standardIcon(QStyle::SP_TrashIcon), "Remove", this);
  reindex_ = new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), "Re-index", this);
  cancel_ = new QPushButton(style()->standardIcon(QStyle::SP_DialogCancelButton), "Cancel", this);
  add_files_->setToolTip("Add PDF files to the selected collection (Ctrl+O)");
  remove_->setToolTip("Remove the selected document from the library (Delete)");
  reindex_->setToolTip("Read the selected document again");
  cancel_->setToolTip("Stop adding documents; those finished stay in the library");
  overall_ = new QProgressBar(this);
  overall_->setTextVisible(true);
  overall_->setFormat("%v of %m files");
  overall_->setRange(0, 1);
  overall_->setValue(0);
  rate_ = new QLabel("Drop PDF files or folders here, or use Add PDFs…", this);
  rate_->setWordWrap(true);
  // Two lines always: the layout then never squeezes the rate line out of sight.
  rate_->setMinimumHeight(rate_->fontMetrics().lineSpacing() * 2 + 4);
  rate_->setAlignment(Qt::AlignLeft | Qt::AlignTop);

  auto* title = new QLabel("<b>Library</b>", this);
  auto* buttons1 = new QHBoxLayout;
  buttons1->addWidget(add_files_);
  buttons1->addWidget(add_folder_);
  buttons1->addWidget(new_collection);
  auto* buttons2 = new QHBoxLayout;
  buttons2->addWidget(remove_);
  buttons2->addWidget(reindex_);
  buttons2->addStretch();
  auto* progress_row = new QHBoxLayout;
  progress_row->addWidget(overall_, 1);
  progress_row->addWidget(cancel_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addWidget(title);
  layout->addLayout(buttons1);
  layout->addWidget(tree_, 1);
  layout->addLayout(buttons2);
  layout->addLayout(progress_row);
  layout->addWidget(rate_);

  connect(add_files_, &QPushButton::clicked, this, &LibraryPanel::chooseFiles);
  connect(add_folder_, &QPushButton::clicked, this, &LibraryPanel::chooseFolder);
  connect(new_collection, &QPushButton::clicked, this, &LibraryPanel::askNewCollection);
  // Delete removes only while the list has the focus (in the question box it deletes text).
  auto* remove_key =
      new QShortcut(QKeySequence::Delete, tree_, nullptr, nullptr, Qt::WidgetShortcut);
  connect(remove_key, &QShortcut::activated, this, &LibraryPanel::removeSelected);
  connect(remove_, &QPushButton::clicked, this, &LibraryPanel::removeSelected);
  connect(reindex_, &QPushButton::clicked, this, &LibraryPanel::reindexSelected);
  connect(cancel_, &QPushButton::clicked, this, [this] {
    cancel_->setEnabled(false);
    rate_->setText("Cancelling…");
    emit cancelRequested();
  });
  connect(tree_, &QTreeWidget::itemDoubleClicked, this, &LibraryPanel::unlock);
  connect(tree_, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
    if (item) {
      const QString c = item->data(kName, kCollectionRole).toString();
      if (!c.isEmpty() && c != selected_collection_) {
        selected_collection_ = c;
        emit collectionChanged(c);
      }
    }
    updateButtons();
  });
  updateButtons();
}

QString LibraryPanel::currentCollection() const {
  return selected_collection_.isEmpty() ? QString("default") : selected_collection_;
}

int LibraryPanel::documentCount(const QString& collection) const {
  for (const auto& c : snapshot_) {
    if (c.name == collection) return static_cast<int>(c.documents.size());
  }
  return 0;
}

qint64 LibraryPanel::selectedDocument() const {
  const auto* item = tree_->currentItem();
  return item ? item->data(kName, kIdRole).toLongLong() : 0;
}

void LibraryPanel::updateButtons() {
  const bool doc = selectedDocument() > 0;
  remove_->setEnabled(doc && !ingesting_);
  reindex_->setEnabled(doc && !ingesting_);
  cancel_->setEnabled(ingesting_);
}

void LibraryPanel::showLibrary(const LibrarySnapshot& snapshot) {
  snapshot_ = snapshot;
  rebuild();
}

void LibraryPanel::addPendingRow(QTreeWidgetItem* parent, const QString& path) {
  auto* item = new QTreeWidgetItem(parent);
  item->setText(kName, QFileInfo(path).fileName());
  item->setToolTip(kName, path);
  item->setData(kName, kCollectionRole, ingest_collection_);
  const int percent = pending_percent_.value(path, 0);
  item->setText(kStatus, percent < 0 ? "indexing…" : percent >= 100 ? "done" : "waiting");
  auto* bar = new QProgressBar;
  bar->setMaximumHeight(16);
  bar->setTextVisible(false);
  if (percent < 0) {
    bar->setRange(0, 0);  // busy: the pipeline reports files, not a share of one
  } else {
    bar->setRange(0, 100);
    bar->setValue(percent);
  }
  tree_->setItemWidget(item, kProgress, bar);
  pending_bars_[path] = bar;
  pending_items_[path] = item;
}

void LibraryPanel::rebuild() {
  const qint64 keep_doc = selectedDocument();
  const QString keep_collection = selected_collection_;
  QSignalBlocker block(tree_);
  tree_->clear();
  pending_bars_.clear();
  pending_items_.clear();
  QTreeWidgetItem* select = nullptr;
  for (const auto& c : snapshot_) {
    auto* top = new QTreeWidgetItem(tree_);
    top->setText(kName, c.name);
    top->setIcon(kName, style()->standardIcon(QStyle::SP_DirIcon));
    top->setData(kName, kCollectionRole, c.name);
    int pages = 0, passages = 0;
    for (const auto& d : c.documents) {
      auto* item = new QTreeWidgetItem(top);
      item->setText(kName, d.title.isEmpty() ? QFileInfo(d.path).fileName()
                                             : QFileInfo(d.path).fileName() + " — " + d.title);
      item->setIcon(kName, style()->standardIcon(QStyle::SP_FileIcon));
      item->setToolTip(kName, d.path);
      item->setData(kName, kIdRole, d.id);
      item->setData(kName, kCollectionRole, c.name);
      item->setText(kStatus, status_text(d));
      if (!d.reasons.isEmpty()) {
        item->setToolTip(kStatus, d.reasons.join("\n"));
        item->setText(kStatus, status_text(d) + " ⚠");
      }
      item->setText(kPages, QString::number(d.pages));
      item->setText(kPassages, QString::number(d.passages));
      pages += d.pages;
      passages += d.passages;
      if (d.id == keep_doc) select = item;
    }
    if (ingesting_ && c.name == ingest_collection_) {
      QSet<QString> stored;
      for (const auto& d : c.documents) stored.insert(d.path);
      for (const auto& path : pending_order_) {
        if (!stored.contains(QFileInfo(path).absoluteFilePath())) addPendingRow(top, path);
      }
    }
    for (const auto& p : problems_) {
      if (c.name != ingest_collection_) continue;
      auto* item = new QTreeWidgetItem(top);
      item->setText(kName, QFileInfo(p.path).fileName());
      item->setToolTip(kName, p.path);
      item->setData(kName, kCollectionRole, c.name);
      const bool locked = p.reason.contains(rag::kPasswordRequired);
      // Here the row itself takes the password.
      item->setText(kStatus, p.status + ": " + p.reason + (locked ? "; double-click to enter it" : ""));
      if (locked) item->setData(kName, kLockedRole, p.path);
      item->setToolTip(kStatus, p.reason);
      item->setForeground(kStatus, palette().color(QPalette::Disabled, QPalette::Text));
      item->setIcon(kName, style()->standardIcon(QStyle::SP_MessageBoxWarning));
    }
    top->setText(kName, QString("%1 (%2)").arg(c.name).arg(c.documents.size()));
    top->setToolTip(kName,
                    QString("Collection '%1': %2 document(s)").arg(c.name).arg(c.documents.size()));
    top->setText(kPages, QString::number(pages));
    top->setText(kPassages, QString::number(passages));
    top->setExpanded(true);
    if (!select && c.name == keep_collection) select = top;
  }
  if (!select && tree_->topLevelItemCount() > 0) select = tree_->topLevelItem(0);
  if (select) tree_->setCurrentItem(select);
  block.unblock();
  if (select) {
    const QString c = select->data(kName, kCollectionRole).toString();
    if (c != selected_collection_) {
      selected_collection_ = c;
      emit collectionChanged(c);
    }
  }
  updateButtons();
}

void LibraryPanel::startIngest(const QStringList& files, const QString& collection) {
  ingesting_ = true;
  ingest_collection_ = collection;
  problems_.clear();
  pending_order_ = files;
  pending_percent_.clear();
  overall_->setRange(0, std::max<int>(1, files.size()));
  overall_->setValue(0);
  rate_->setText(files.isEmpty() ? "No PDF files found."
                                 : QString("Reading %1 file(s)…").arg(files.size()));
  rebuild();
}

void LibraryPanel::showProgress(const IngestStatus& s) {
  overall_->setRange(0, std::max(1, s.files_total));
  overall_->setValue(s.files_done);
  // The pipeline finishes files in order: those before files_done are done, the next is busy.
  for (int i = 0; i < pending_order_.size(); ++i) {
    const QString& path = pending_order_[i];
    const int percent = i < s.files_done ? 100 : i == s.files_done ? -1 : 0;
    if (pending_percent_.value(path, 0) == percent) continue;
    pending_percent_[path] = percent;
    if (auto* item = pending_items_.value(path)) {
      item->setText(kStatus, percent < 0 ? "indexing…" : percent >= 100 ? "done" : "waiting");
    }
    if (auto* bar = pending_bars_.value(path)) {
      if (percent < 0) {
        bar->setRange(0, 0);
      } else {
        bar->setRange(0, 100);
        bar->setValue(percent);
      }
    }
  }
  rate_->setText(
      QString("%1 / %2 files · %3 pages, %4 passages · %5 pages/s · %6 left%7")
          .arg(s.files_done)
          .arg(s.files_total)
          .arg(s.pages)
          .arg(s.passages)
          .arg(s.pages_per_second, 0, 'f', 1)
          .arg(clock_text(s.seconds_left))
          .arg(s.current.isEmpty() ? QString() : " · " + QFileInfo(s.current).fileName()));
}

void LibraryPanel::finishIngest(const QList<IngestFileEntry>& files, bool cancelled) {
  ingesting_ = false;
  pending_order_.clear();
  pending_percent_.clear();
  int ok = 0;
  for (const auto& f : files) {
    if (f.status == "failed" || f.status == "skipped") {
      problems_.push_back(f);
    } else if (f.status == "added" || f.status == "replaced" || f.status == "unchanged") {
      ++ok;
    }
  }
  overall_->setValue(overall_->maximum());
  QString text = QString("%1 of %2 file(s) in the library").arg(ok).arg(files.size());
  if (!problems_.isEmpty())
    text += QString(", %1 could not be added (see the list)").arg(problems_.size());
  if (cancelled) text += " — cancelled; the files finished before stay.";
  rate_->setText(text);
  rebuild();
}

void LibraryPanel::chooseFiles() {
  const QStringList files = QFileDialog::getOpenFileNames(
      this, "Add PDF files", QString(), "PDF documents (*.pdf *.PDF);;All files (*)");
  if (!files.isEmpty()) emit addRequested(files, currentCollection());
}

void LibraryPanel::chooseFolder() {
  const QString dir = QFileDialog::getExistingDirectory(this, "Add a folder of PDF files");
  if (!dir.isEmpty()) emit addRequested({dir}, currentCollection());
}

void LibraryPanel::askNewCollection() {
  bool ok = false;
  const QString name =
      QInputDialog::getText(this, "New collection",
                            "Name of the new collection:", QLineEdit::Normal, QString(), &ok)
          .trimmed();
  if (ok && !name.isEmpty()) {
    selected_collection_ = name;
    emit newCollectionRequested(name);
  }
}

void LibraryPanel::unlock(QTreeWidgetItem* item) {
  const QString path = item ? item->data(kName, kLockedRole).toString() : QString();
  if (path.isEmpty() || ingesting_) return;
  bool ok = false;
  const QString password = QInputDialog::getText(
      this, "Locked PDF", QFileInfo(path).fileName() + " is locked. Password:", QLineEdit::Password,
      QString(), &ok);
  if (ok && !password.isEmpty())
    emit unlockRequested(path, item->data(kName, kCollectionRole).toString(), password);
}

void LibraryPanel::removeSelected() {
  const qint64 id = selectedDocument();
  if (!id || ingesting_) return;
  const QString name = tree_->currentItem()->toolTip(kName);
  if (QMessageBox::question(
          this, "Remove document",
          QString("Remove %1 from the library? Its passages are deleted; the PDF file itself stays "
                  "where it is.")
              .arg(name)) == QMessageBox::Yes) {
    emit removeRequested(id);
  }
}

void LibraryPanel::reindexSelected() {
  if (ingesting_) return;
  if (const qint64 id = selectedDocument()) emit reindexRequested(id, currentCollection());
}

void LibraryPanel::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void LibraryPanel::dropEvent(QDropEvent* event) {
  QStringList paths;
  for (const QUrl& url : event->mimeData()->urls()) {
    if (url.isLocalFile()) paths.push_back(url.toLocalFile());
  }
  if (paths.isEmpty()) return;
  event->acceptProposedAction();
  emit addRequested(paths, currentCollection());
}

}  // namespace pgpp::app
