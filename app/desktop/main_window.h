#pragma once
// The desktop window: library on the left, the conversation in the middle, the sources and the
// cited page on the right, a log at the bottom. All slow work goes to a RagWorker on its own
// thread; this class only wires panels to it.
#include <QMainWindow>
#include <QThread>

#include "app/desktop/desktop_settings.h"
#include "app/desktop/desktop_types.h"

class QLabel;
class QPlainTextEdit;
class QSettings;
class QStackedWidget;
class QDockWidget;

namespace pgpp::app {

class ChatPanel;
class LibraryPanel;
class PageViewer;
class RagWorker;
class SourcesPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  // `store` (not owned) persists the settings; it outlives the window.
  MainWindow(QSettings& store, QWidget* parent = nullptr);
  ~MainWindow() override;

  // Opens the models and the library, or shows the first-run page when the models are missing.
  void start();

  LibraryPanel* libraryPanel() const { return library_; }
  ChatPanel* chatPanel() const { return chat_; }
  SourcesPanel* sourcesPanel() const { return sources_; }
  PageViewer* pageViewer() const { return viewer_; }
  RagWorker* worker() const { return worker_; }
  QPlainTextEdit* logView() const { return log_; }
  QLabel* errorBanner() const { return error_; }
  QLabel* ephemeralBadge() const { return badge_; }
  bool modelsReady() const { return ready_; }
  bool firstRunShown() const;
  const DesktopSettings& settings() const { return settings_; }
  // Settings for this window only, not persisted (command-line choices, tests); before start().
  void useForThisSession(const DesktopSettings& s) { settings_ = s; }

 public slots:
  void addPaths(const QStringList& paths, const QString& collection);
  void ask(const QString& question);
  void openSettings();
  void showError(const QString& what, const QString& details = {});
  void log(const QString& line);

 signals:
  void modelsOpened();

 protected:
  void closeEvent(QCloseEvent* event) override;
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void buildMenus();
  QWidget* buildFirstRunPage();
  void applySettings(const DesktopSettings& s);
  void openSource(const rag::RetrievedSource& source, int number, const AnswerEntry& turn);

  QSettings& store_;
  DesktopSettings settings_;
  QThread thread_;
  RagWorker* worker_;  // lives on thread_, deleted when it finishes
  QStackedWidget* pages_;
  LibraryPanel* library_;
  ChatPanel* chat_;
  SourcesPanel* sources_;
  PageViewer* viewer_;
  QPlainTextEdit* log_;
  QDockWidget* log_dock_;
  QLabel* error_;
  QLabel* badge_;
  QLabel* first_run_text_;
  bool ready_ = false;
};

}  // namespace pgpp::app
