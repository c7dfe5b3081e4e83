#include "app/desktop/sources_panel.h"

#include <algorithm>

#include <QFileInfo>
#include <QLabel>
#include <QRegularExpression>
#include <QSet>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "rag/answerer.h"

namespace pgpp::app {

QString snippet_html(const QString& text, const QString& question, int max_chars) {
  QString plain = text.simplified();
  if (plain.size() > max_chars) {
    int cut = plain.lastIndexOf(' ', max_chars);
    if (cut < max_chars / 2) cut = max_chars;
    plain = plain.left(cut) + " …";
  }
  // Words of the question worth showing: letters or digits, three or more, small words left out.
  static const QSet<QString> kSmall = {"the",  "and",  "for",  "with",  "which", "what",
                                       "that", "this", "from", "how",   "does",  "are",
                                       "was",  "who",  "when", "where", "why",   "into"};
  QStringList words;
  static const QRegularExpression kWord("[\\p{L}\\p{N}_]{3,}");
  for (auto it = kWord.globalMatch(question); it.hasNext();) {
    const QString w = it.next().captured(0).toLower();
    if (!kSmall.contains(w) && !words.contains(w)) words.push_back(QRegularExpression::escape(w));
  }
  const QString escaped = plain.toHtmlEscaped();
  if (words.isEmpty()) return escaped;
  const QRegularExpression re(
      "(?<![\\p{L}\\p{N}_])(" + words.join('|') + ")(?![\\p{L}\\p{N}_])",
      QRegularExpression::CaseInsensitiveOption | QRegularExpression::UseUnicodePropertiesOption);
  QString out = escaped;
  out.replace(re, "<b>\\1</b>");
  return out;
}

SourcesPanel::SourcesPanel(QWidget* parent) : QWidget(parent) {
  view_ = new QTextBrowser(this);
  view_->setOpenLinks(false);
  view_->setAccessibleName("Sources");
  view_->setPlaceholderText(
      "The passages an answer uses appear here, numbered like its citations.");
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addWidget(new QLabel("<b>Sources</b>", this));
  layout->addWidget(view_, 1);
  connect(view_, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
    if (url.scheme() != "source") return;
    const int n = url.path().toInt();
    if (n < 1 || n > static_cast<int>(turn_.sources.size())) return;
    highlightSource(n);
    emit sourceActivated(turn_.sources[n - 1], n, turn_.question);
  });
}

void SourcesPanel::showTurn(const AnswerEntry& turn) {
  turn_ = turn;
  highlighted_ = 0;
  render();
}

void SourcesPanel::highlightSource(int number) {
  highlighted_ = number;
  render();
}

void SourcesPanel::render() {
  QString html;
  const QString highlight = palette().color(QPalette::Highlight).name();
  for (std::size_t i = 0; i < turn_.sources.size(); ++i) {
    const auto& s = turn_.sources[i];
    const int n = static_cast<int>(i + 1);
    const bool cited = turn_.cited.contains(n);
    const bool matched = std::any_of(turn_.matched.begin(), turn_.matched.end(),
                                     [&](const QPair<int, int>& m) { return m.second == n; });
    const QString label = QString::fromStdString(rag::source_label(s));
    html += QString(
                "<p style='margin-bottom:10px'>%1<a href='source:%2'><b>[%2]</b> %3</a> "
                "&nbsp;<small>score %4%5</small>%6<br>%7</p>")
                .arg(n == highlighted_ ? QString("<span style='color:%1'>▶</span> ").arg(highlight)
                                       : QString())
                .arg(n)
                .arg(label.toHtmlEscaped())
                .arg(s.score, 0, 'f', 4)
                .arg(cited     ? " · <b>cited</b>"
                     : matched ? " · <b>matched by wording</b>"
                               : "")
                .arg(s.title.empty()
                         ? QString()
                         : "<br><i>" + QString::fromStdString(s.title).toHtmlEscaped() + "</i>")
                .arg(snippet_html(QString::fromStdString(s.text), turn_.question));
  }
  view_->setHtml(html);
}

}  // namespace pgpp::app
