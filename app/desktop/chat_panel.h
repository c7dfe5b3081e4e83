#pragma once
// The conversation of the selected collection: a question box (Enter sends, Shift+Enter adds a
// line), the answer streamed as Markdown with each citation [n] a link, and stop, regenerate,
// copy and clear.
#include <QList>
#include <QWidget>

#include "app/desktop/desktop_types.h"

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTextBrowser;
class QTimer;

namespace pgpp::app {

class ChatPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ChatPanel(QWidget* parent = nullptr);

  bool busy() const { return busy_; }
  QTextBrowser* transcript() const { return transcript_; }
  QPlainTextEdit* questionBox() const { return question_; }
  QPushButton* stopButton() const { return stop_; }
  const QList<pgpp::app::AnswerEntry>& turns() const { return turns_; }
  // The Markdown the transcript shows (citations as links cite:<turn>/<n>).
  QString markdown() const;

 public slots:
  void showHistory(const QList<pgpp::app::AnswerEntry>& turns);
  void beginAnswer(const QString& question);
  void appendText(const QString& piece);
  void setSources(const pgpp::app::AnswerEntry& sourcesOnly);
  void finishAnswer(const pgpp::app::AnswerEntry& answer);
  void send();
  void regenerate();
  void copyAnswer();
  void stop();
  void setReady(bool ready, const QString& why = {});

 signals:
  void askRequested(const QString& question);
  void stopRequested();
  void clearRequested();
  void citationActivated(const pgpp::app::AnswerEntry& turn, int number);
  void turnShown(const pgpp::app::AnswerEntry& turn);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void render();
  void updateButtons();
  void openLink(const QUrl& url);

  QTextBrowser* transcript_;
  QPlainTextEdit* question_;
  QPushButton* send_;
  QPushButton* stop_;
  QPushButton* regenerate_;
  QPushButton* copy_;
  QPushButton* clear_;
  QLabel* hint_;
  QTimer* render_timer_;
  QList<pgpp::app::AnswerEntry> turns_;
  bool busy_ = false;
  bool ready_ = false;
};

// The answer's Markdown with every citation marker turned into links "cite:<turn>/<n>".
QString link_citations(const QString& text, int turn, int source_count,
                       const QList<QPair<int, int>>& matched = {});

}  // namespace pgpp::app
