#pragma once
// One PDF page at a time, rendered by Poppler (poppler-cpp, already used by rag/ to read PDFs)
// at the screen's scale on a pool thread, with the cited passage's word boxes highlighted and
// scrolled into view; previous and next page, zoom, and the system's own viewer.
#include <QFutureWatcher>
#include <QHash>
#include <QImage>
#include <QList>
#include <QRectF>
#include <QWidget>
#include <vector>

#include "rag/chunker.h"

class QLabel;
class QScrollArea;
class QToolButton;

namespace pgpp::app {

struct RenderedPage {
  QImage image;
  int page = 0;
  int page_count = 0;
  double scale = 1;  // image pixels per PDF point
  QString error;
};

class PageViewer : public QWidget {
  Q_OBJECT
 public:
  explicit PageViewer(QWidget* parent = nullptr);

  // Shows `page` (1-based) of the PDF with the boxes that fall on it highlighted.
  void showPassage(const QString& path, int page, const std::vector<rag::PassageBox>& boxes,
                   const QString& label);

  // The password of a locked PDF, kept in memory for this session only.
  void rememberPassword(const QString& path, const QString& password) {
    passwords_[path] = password;
  }

  QString path() const { return path_; }
  int currentPage() const { return page_; }
  int pageCount() const { return page_count_; }
  int shownPage() const { return shown_page_; }  // the page on screen (0 while none)
  double zoom() const { return zoom_; }
  // Highlight rectangles on the page on screen, in image pixels.
  const QList<QRectF>& highlights() const { return highlight_rects_; }
  const QImage& shownImage() const { return shown_image_; }

 public slots:
  void nextPage();
  void previousPage();
  void zoomIn();
  void zoomOut();
  void openExternally();

 signals:
  void pageShown(int page, int highlights);
  void failed(const QString& what);

 private:
  void requestRender();
  void renderDone();
  void updateControls();

  QLabel* title_;
  QLabel* page_label_;
  QScrollArea* scroll_;
  QLabel* canvas_;
  QToolButton* prev_;
  QToolButton* next_;
  QToolButton* zoom_in_;
  QToolButton* zoom_out_;
  QToolButton* external_;
  QFutureWatcher<RenderedPage> watcher_;
  bool pending_ = false;  // another render was asked for while one ran

  QString path_;
  int page_ = 0;
  int page_count_ = 0;
  int shown_page_ = 0;
  double zoom_ = 1.0;  // 1: the page's width fills the view
  std::vector<rag::PassageBox> boxes_;
  QHash<QString, QString> passwords_;
  QList<QRectF> highlight_rects_;
  QImage shown_image_;
};

// Renders one page (1-based) `width_px` pixels wide times `zoom`; the error is set when it cannot.
RenderedPage render_pdf_page(const QString& path, int page, int width_px, double zoom,
                             const QString& password = {});

// Word boxes of one line joined into one rectangle (the highlight reads as marked lines, not a
// grid of words); boxes in reading order, points.
QList<QRectF> merge_line_boxes(const std::vector<rag::PassageBox>& boxes, int page);

}  // namespace pgpp::app
