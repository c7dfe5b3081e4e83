#include "app/desktop/chat_panel.h"

#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QStyle>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>
#include <map>

#include "rag/citation_parser.h"

namespace pgpp::app {

QString link_citations(const QString& text, int turn, int source_count,
                       const QList<QPair<int, int>>& matched) {
  const QByteArray utf8 = text.toUtf8();
  const auto parsed =
      rag::parse_citations(std::string_view(utf8.constData(), utf8.size()), source_count);
  // Markers of one bracket ("[1, 2]") share its span: one link per number, in place of the bracket.
  // A sentence matched by wording gets an italic link after it (an empty span at its end).
  struct Edit {
    std::size_t end = 0;
    QList<int> numbers;
    bool matched = false;
  };
  std::map<std::size_t, Edit> edits;
  for (const auto& m : parsed.markers) {
    auto& b = edits[m.begin];
    b.end = m.end;
    if (m.in_range) b.numbers.push_back(m.number);
  }
  for (const auto& [end, n] : matched) {
    if (end < 0 || end > utf8.size() || n < 1 || n > source_count) continue;
    auto& b = edits[static_cast<std::size_t>(end)];
    if (!b.numbers.isEmpty() && !b.matched) continue;  // never over the model's own marker
    b.end = static_cast<std::size_t>(end);
    b.matched = true;
    b.numbers.push_back(n);
  }
  QByteArray out;
  std::size_t at = 0;
  for (const auto& [begin, b] : edits) {
    if (begin < at || b.numbers.isEmpty()) continue;  // out-of-range numbers stay plain text
    out += utf8.mid(static_cast<int>(at), static_cast<int>(begin - at));
    for (int n : b.numbers) {
      const QString link = QString("[\\[%1\\]](cite:%2/%1)").arg(n).arg(turn);
      out += (b.matched ? " *" + link + "*" : link).toUtf8();
    }
    at = b.end;
  }
  out += utf8.mid(static_cast<int>(at));
  return QString::fromUtf8(out);
}

ChatPanel::ChatPanel(QWidget* parent) : QWidget(parent) {
  transcript_ = new QTextBrowser(this);
  transcript_->setOpenLinks(false);
  transcript_->setAccessibleName("Conversation");
  transcript_->setPlaceholderText("Ask a question about the documents of the selected collection.");
  question_ = new QPlainTextEdit(this);
  question_->setPlaceholderText("Ask a question… (Enter sends, Shift+Enter adds a line)");
  question_->setAccessibleName("Question");
  question_->setTabChangesFocus(true);
  question_->setMaximumHeight(question_->fontMetrics().lineSpacing() * 5);
  question_->installEventFilter(this);
  send_ = new QPushButton(style()->standardIcon(QStyle::SP_ArrowRight), "Ask", this);
  stop_ = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), "Stop", this);
  regenerate_ =
      new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), "Regenerate", this);
  copy_ = new QPushButton("Copy answer", this);
  clear_ = new QPushButton("Clear history", this);
  send_->setToolTip("Send the question (Enter)");
  stop_->setToolTip("Stop the answer (Esc)");
  regenerate_->setToolTip("Ask the last question again (Ctrl+R)");
  copy_->setToolTip("Copy the last answer (Ctrl+Shift+C)");
  hint_ = new QLabel(this);
  hint_->setWordWrap(true);

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(stop_);
  buttons->addWidget(regenerate_);
  buttons->addWidget(copy_);
  buttons->addStretch();
  buttons->addWidget(clear_);
  auto* ask_row = new QHBoxLayout;
  ask_row->addWidget(question_, 1);
  ask_row->addWidget(send_, 0, Qt::AlignBottom);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addWidget(new QLabel("<b>Conversation</b>", this));
  layout->addWidget(transcript_, 1);
  layout->addLayout(buttons);
  layout->addWidget(hint_);
  layout->addLayout(ask_row);

  render_timer_ = new QTimer(this);
  render_timer_->setSingleShot(true);
  render_timer_->setInterval(50);  // streamed tokens are shown in batches, not one layout each
  connect(render_timer_, &QTimer::timeout, this, &ChatPanel::render);
  connect(send_, &QPushButton::clicked, this, &ChatPanel::send);
  connect(stop_, &QPushButton::clicked, this, &ChatPanel::stop);
  connect(regenerate_, &QPushButton::clicked, this, &ChatPanel::regenerate);
  connect(copy_, &QPushButton::clicked, this, &ChatPanel::copyAnswer);
  connect(clear_, &QPushButton::clicked, this, &ChatPanel::clearRequested);
  connect(transcript_, &QTextBrowser::anchorClicked, this, &ChatPanel::openLink);
  updateButtons();
}

bool ChatPanel::eventFilter(QObject* watched, QEvent* event) {
  if (watched == question_ && event->type() == QEvent::KeyPress) {
    auto* key = static_cast<QKeyEvent*>(event);
    if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) &&
        !(key->modifiers() & Qt::ShiftModifier)) {
      send();
      return true;
    }
  }
  return QWidget::eventFilter(watched, event);
}

void ChatPanel::setReady(bool ready, const QString& why) {
  ready_ = ready;
  hint_->setText(why);
  hint_->setVisible(!why.isEmpty());
  updateButtons();
}

void ChatPanel::updateButtons() {
  send_->setEnabled(ready_ && !busy_);
  stop_->setEnabled(busy_);
  regenerate_->setEnabled(ready_ && !busy_ && !turns_.isEmpty());
  copy_->setEnabled(!turns_.isEmpty() && !turns_.last().text.isEmpty());
  clear_->setEnabled(!busy_ && !turns_.isEmpty());
}

QString ChatPanel::markdown() const {
  QString md;
  for (int i = 0; i < turns_.size(); ++i) {
    const auto& t = turns_[i];
    md += "#### " + t.question.toHtmlEscaped() + "\n\n";
    if (t.text.isEmpty()) {
      md += (busy_ && i == turns_.size() - 1) ? "*…thinking…*\n\n" : "*(no answer)*\n\n";
    } else {
      md += link_citations(t.text, i, static_cast<int>(t.sources.size()), t.matched) + "\n\n";
      if (!t.matched.isEmpty())
        md += "*Italic [n]: the model wrote no citation there; the sentence's wording matches that "
              "source.*\n\n";
    }
    if (t.stopped && !(busy_ && i == turns_.size() - 1)) md += "*(stopped)*\n\n";
    if (t.flagged) md += "> ⚠ Not grounded: " + t.flag_reason + "\n\n";
    md += "---\n\n";
  }
  return md;
}

void ChatPanel::render() {
  auto* bar = transcript_->verticalScrollBar();
  const bool at_end = bar->value() >= bar->maximum() - 4;
  transcript_->setMarkdown(markdown());
  if (at_end || busy_) bar->setValue(bar->maximum());
  updateButtons();
}

void ChatPanel::showHistory(const QList<AnswerEntry>& turns) {
  if (busy_) return;
  turns_ = turns;
  render();
  if (!turns_.isEmpty()) emit turnShown(turns_.last());
}

void ChatPanel::beginAnswer(const QString& question) {
  busy_ = true;
  AnswerEntry t;
  t.question = question;
  turns_.push_back(t);
  render();
}

void ChatPanel::appendText(const QString& piece) {
  if (turns_.isEmpty()) return;
  turns_.last().text += piece;
  if (!render_timer_->isActive()) render_timer_->start();
}

void ChatPanel::setSources(const AnswerEntry& sourcesOnly) {
  if (turns_.isEmpty()) return;
  turns_.last().sources = sourcesOnly.sources;
  emit turnShown(turns_.last());
}

void ChatPanel::finishAnswer(const AnswerEntry& answer) {
  busy_ = false;
  render_timer_->stop();
  if (!turns_.isEmpty()) {
    auto& t = turns_.last();
    if (!answer.text.isEmpty() || !answer.sources.empty()) {
      t = answer;
    } else {
      t.stopped = true;
    }
    emit turnShown(t);
  }
  render();
}

void ChatPanel::send() {
  const QString q = question_->toPlainText().trimmed();
  if (q.isEmpty() || busy_ || !ready_) return;
  question_->clear();
  emit askRequested(q);
}

void ChatPanel::regenerate() {
  if (busy_ || turns_.isEmpty() || !ready_) return;
  emit askRequested(turns_.last().question);
}

void ChatPanel::copyAnswer() {
  if (!turns_.isEmpty()) QApplication::clipboard()->setText(turns_.last().text);
}

void ChatPanel::stop() {
  if (busy_) emit stopRequested();
}

void ChatPanel::openLink(const QUrl& url) {
  if (url.scheme() != "cite") return;
  const QStringList parts = url.path().split('/');
  if (parts.size() != 2) return;
  const int turn = parts[0].toInt();
  const int number = parts[1].toInt();
  if (turn < 0 || turn >= turns_.size()) return;
  emit citationActivated(turns_[turn], number);
}

}  // namespace pgpp::app
