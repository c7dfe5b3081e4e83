#include "app/desktop/page_viewer.h"

#include <poppler-document.h>
#include <poppler-image.h>
#include <poppler-page-renderer.h>
#include <poppler-page.h>

#include <QDesktopServices>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QScrollArea>
#include <QScrollBar>
#include <QStyle>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <memory>

namespace pgpp::app {

QList<QRectF> merge_line_boxes(const std::vector<rag::PassageBox>& boxes, int page) {
  QList<QRectF> lines;
  for (const auto& b : boxes) {
    if (b.page != page) continue;
    const QRectF r(QPointF(b.box.x0, b.box.y0), QPointF(b.box.x1, b.box.y1));
    if (!lines.isEmpty()) {
      QRectF& last = lines.last();
      const double overlap = std::min(last.bottom(), r.bottom()) - std::max(last.top(), r.top());
      const double gap = r.left() - last.right();
      if (overlap > 0.5 * std::min(last.height(), r.height()) && gap > -2 && gap < 3 * r.height()) {
        last = last.united(r);
        continue;
      }
    }
    lines.push_back(r);
  }
  return lines;
}

RenderedPage render_pdf_page(const QString& path, int page, int width_px, double zoom,
                             const QString& password) {
  RenderedPage out;
  out.page = page;
  const QByteArray file = QFile::encodeName(path);
  const std::string pw = password.toStdString();
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_file(file.toStdString(), pw, pw));
  if (!doc) {
    out.error = QFileInfo(path).fileName() + ": cannot be opened (moved, deleted or damaged?)";
    return out;
  }
  if (doc->is_locked()) {
    out.error = QFileInfo(path).fileName() + ": locked with a password";
    return out;
  }
  out.page_count = doc->pages();
  if (page < 1 || page > out.page_count) {
    out.error = QString("%1 has no page %2").arg(QFileInfo(path).fileName()).arg(page);
    return out;
  }
  std::unique_ptr<poppler::page> p(doc->create_page(page - 1));
  const double page_width = p ? p->page_rect(poppler::crop_box).width() : 0;
  const bool sideways = p && (p->orientation() == poppler::page::landscape ||
                              p->orientation() == poppler::page::seascape);
  const double shown_width = sideways && p ? p->page_rect(poppler::crop_box).height() : page_width;
  out.scale = std::clamp(zoom * width_px / std::max(1.0, shown_width), 0.2, 12.0);
  const double scale = out.scale;
  poppler::page_renderer renderer;
  renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_hinting, true);
  renderer.set_image_format(poppler::image::format_argb32);
  const double dpi = 72.0 * scale;
  const poppler::image img = p ? renderer.render_page(p.get(), dpi, dpi) : poppler::image();
  if (!img.is_valid()) {
    out.error = QString("%1: page %2 could not be drawn").arg(QFileInfo(path).fileName()).arg(page);
    return out;
  }
  out.image = QImage(reinterpret_cast<const uchar*>(img.const_data()), img.width(), img.height(),
                     img.bytes_per_row(),
                     QImage::Format_ARGB32)
                  .copy();  // the poppler image's buffer dies with it
  return out;
}

PageViewer::PageViewer(QWidget* parent) : QWidget(parent) {
  title_ = new QLabel("<b>Page</b>", this);
  title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  title_->setWordWrap(true);
  page_label_ = new QLabel(this);
  auto make_button = [this](QStyle::StandardPixmap icon, const QString& text, const QString& tip) {
    auto* b = new QToolButton(this);
    b->setIcon(style()->standardIcon(icon));
    b->setText(text);
    b->setToolTip(tip);
    b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    return b;
  };
  prev_ = make_button(QStyle::SP_ArrowBack, "Previous", "Previous page (Page Up)");
  next_ = make_button(QStyle::SP_ArrowForward, "Next", "Next page (Page Down)");
  zoom_out_ = make_button(QStyle::SP_ArrowDown, "−", "Zoom out (Ctrl+-)");
  zoom_in_ = make_button(QStyle::SP_ArrowUp, "+", "Zoom in (Ctrl++)");
  external_ = make_button(QStyle::SP_DirOpenIcon, "Open", "Open in the system's PDF viewer");
  zoom_out_->setToolButtonStyle(Qt::ToolButtonTextOnly);
  zoom_in_->setToolButtonStyle(Qt::ToolButtonTextOnly);
  canvas_ = new QLabel(this);
  canvas_->setAlignment(Qt::AlignCenter);
  canvas_->setText("Click a citation [n] or a source to see its page here.");
  canvas_->setWordWrap(true);
  scroll_ = new QScrollArea(this);
  scroll_->setWidget(canvas_);
  scroll_->setWidgetResizable(true);
  scroll_->setAlignment(Qt::AlignCenter);
  scroll_->setBackgroundRole(QPalette::Dark);

  auto* controls = new QHBoxLayout;
  controls->addWidget(prev_);
  controls->addWidget(page_label_);
  controls->addWidget(next_);
  controls->addStretch();
  controls->addWidget(zoom_out_);
  controls->addWidget(zoom_in_);
  controls->addWidget(external_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addWidget(title_);
  layout->addLayout(controls);
  layout->addWidget(scroll_, 1);

  connect(prev_, &QToolButton::clicked, this, &PageViewer::previousPage);
  connect(next_, &QToolButton::clicked, this, &PageViewer::nextPage);
  connect(zoom_in_, &QToolButton::clicked, this, &PageViewer::zoomIn);
  connect(zoom_out_, &QToolButton::clicked, this, &PageViewer::zoomOut);
  connect(external_, &QToolButton::clicked, this, &PageViewer::openExternally);
  connect(&watcher_, &QFutureWatcher<RenderedPage>::finished, this, &PageViewer::renderDone);
  updateControls();
}

void PageViewer::showPassage(const QString& path, int page,
                             const std::vector<rag::PassageBox>& boxes, const QString& label) {
  path_ = path;
  page_ = page;
  boxes_ = boxes;
  title_->setText("<b>" + label.toHtmlEscaped() + "</b>");
  requestRender();
}

void PageViewer::updateControls() {
  const bool open = !path_.isEmpty();
  prev_->setEnabled(open && page_ > 1);
  next_->setEnabled(open && (page_count_ == 0 || page_ < page_count_));
  zoom_in_->setEnabled(open && zoom_ < 6);
  zoom_out_->setEnabled(open && zoom_ > 0.26);
  external_->setEnabled(open);
  page_label_->setText(open ? QString("page %1 of %2 · %3%")
                                  .arg(page_)
                                  .arg(page_count_ ? QString::number(page_count_) : "?")
                                  .arg(qRound(zoom_ * 100))
                            : QString());
}

void PageViewer::requestRender() {
  updateControls();
  if (path_.isEmpty()) return;
  if (watcher_.isRunning()) {
    pending_ = true;
    return;
  }
  // 100% zoom fits the page's width to the view, drawn at the screen's pixel density.
  const int width = qRound((scroll_->viewport()->width() - 4) * devicePixelRatioF());
  watcher_.setFuture(QtConcurrent::run(render_pdf_page, path_, page_, std::max(200, width), zoom_,
                                       passwords_.value(path_)));
}

void PageViewer::renderDone() {
  if (pending_) {
    pending_ = false;
    requestRender();
    return;
  }
  const RenderedPage r = watcher_.result();
  if (!r.error.isEmpty()) {
    canvas_->setPixmap({});
    canvas_->setText(r.error);
    shown_page_ = 0;
    highlight_rects_.clear();
    emit failed(r.error);
    updateControls();
    return;
  }
  page_count_ = r.page_count;
  shown_page_ = r.page;
  highlight_rects_.clear();
  QImage image = r.image;
  {
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QPen(QColor(230, 120, 0, 200), std::max(1.0, r.scale * 0.5)));
    painter.setBrush(QColor(255, 210, 0, 80));
    for (const QRectF& line : merge_line_boxes(boxes_, r.page)) {
      const QRectF rect(line.topLeft() * r.scale, line.bottomRight() * r.scale);
      const QRectF padded = rect.adjusted(-r.scale, -r.scale * 0.5, r.scale, r.scale * 0.5);
      painter.drawRoundedRect(padded, r.scale, r.scale);
      highlight_rects_.push_back(padded);
    }
  }
  shown_image_ = image;
  QPixmap pixmap = QPixmap::fromImage(image);
  pixmap.setDevicePixelRatio(devicePixelRatioF());
  canvas_->setText({});
  canvas_->setPixmap(pixmap);
  canvas_->adjustSize();
  updateControls();
  if (!highlight_rects_.isEmpty()) {
    // Scroll so that the passage's first line sits near the top third of the view.
    const double dpr = devicePixelRatioF();
    QRectF united = highlight_rects_.first();
    for (const auto& h : highlight_rects_) united = united.united(h);
    const int offset_y = std::max(0, (canvas_->height() - qRound(image.height() / dpr)) / 2);
    const int y = qRound(united.top() / dpr) + offset_y;
    scroll_->verticalScrollBar()->setValue(std::max(0, y - scroll_->viewport()->height() / 3));
    scroll_->horizontalScrollBar()->setValue(std::max(0, qRound(united.left() / dpr) - 20));
  }
  emit pageShown(r.page, static_cast<int>(highlight_rects_.size()));
}

void PageViewer::nextPage() {
  if (path_.isEmpty() || (page_count_ && page_ >= page_count_)) return;
  ++page_;
  requestRender();
}

void PageViewer::previousPage() {
  if (path_.isEmpty() || page_ <= 1) return;
  --page_;
  requestRender();
}

void PageViewer::zoomIn() {
  zoom_ = std::min(6.0, zoom_ * 1.25);
  requestRender();
}

void PageViewer::zoomOut() {
  zoom_ = std::max(0.25, zoom_ / 1.25);
  requestRender();
}

void PageViewer::openExternally() {
  if (path_.isEmpty()) return;
  if (!QDesktopServices::openUrl(QUrl::fromLocalFile(path_)))
    emit failed("No PDF viewer is set up to open " + path_);
}

}  // namespace pgpp::app
