#pragma once
// The passages an answer was given, numbered like its citations: document, page, score and a
// snippet with the question's words in bold. A click opens the page in the viewer.
#include <QWidget>
#include <vector>

#include "app/desktop/desktop_types.h"

class QTextBrowser;

namespace pgpp::app {

class SourcesPanel : public QWidget {
  Q_OBJECT
 public:
  explicit SourcesPanel(QWidget* parent = nullptr);

  QTextBrowser* view() const { return view_; }
  const pgpp::app::AnswerEntry& turn() const { return turn_; }

 public slots:
  void showTurn(const pgpp::app::AnswerEntry& turn);
  void highlightSource(int number);

 signals:
  void sourceActivated(const rag::RetrievedSource& source, int number, const QString& question);

 private:
  void render();
  QTextBrowser* view_;
  pgpp::app::AnswerEntry turn_;
  int highlighted_ = 0;
};

// HTML of the text (first `max_chars` characters, whitespace collapsed) with the question's
// words (three letters or more) in bold.
QString snippet_html(const QString& text, const QString& question, int max_chars = 420);

}  // namespace pgpp::app
