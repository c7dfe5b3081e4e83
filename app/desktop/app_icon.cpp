#include "app/desktop/app_icon.h"

#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace pgpp::app {

namespace {

// A page with a folded corner, three text lines, and a speech bubble holding "[1]": a document
// that answers with a citation. Coordinates on a 64 x 64 grid, as in the SVG.
QPixmap draw(int size) {
  QPixmap pm(size, size);
  pm.fill(Qt::transparent);
  QPainter p(&pm);
  p.setRenderHint(QPainter::Antialiasing);
  p.scale(size / 64.0, size / 64.0);
  QPainterPath page;
  page.moveTo(12, 4);
  page.lineTo(38, 4);
  page.lineTo(50, 16);
  page.lineTo(50, 56);
  page.lineTo(12, 56);
  page.closeSubpath();
  p.setPen(QPen(QColor("#1f3a5f"), 2.5));
  p.setBrush(QColor("#f5f7fa"));
  p.drawPath(page);
  p.setBrush(QColor("#c9d6e8"));
  p.drawPolygon(QPolygonF({QPointF(38, 4), QPointF(38, 16), QPointF(50, 16)}));
  p.setPen(QPen(QColor("#6b7f99"), 3, Qt::SolidLine, Qt::RoundCap));
  p.drawLine(QPointF(18, 22), QPointF(42, 22));
  p.drawLine(QPointF(18, 30), QPointF(44, 30));
  p.setPen(QPen(QColor("#f2b705"), 5, Qt::SolidLine, Qt::RoundCap));
  p.drawLine(QPointF(18, 38), QPointF(36, 38));
  QPainterPath bubble;
  bubble.addRoundedRect(QRectF(30, 36, 30, 20), 6, 6);
  bubble.moveTo(36, 55);
  bubble.lineTo(32, 62);
  bubble.lineTo(44, 55);
  p.setPen(Qt::NoPen);
  p.setBrush(QColor("#2e7d32"));
  p.drawPath(bubble.simplified());
  p.setPen(QColor(Qt::white));
  QFont f("DejaVu Sans Mono");
  f.setPixelSize(13);
  f.setBold(true);
  p.setFont(f);
  p.drawText(QRectF(30, 36, 30, 20), Qt::AlignCenter, "[1]");
  return pm;
}

}  // namespace

QIcon app_icon() {
  QIcon icon;
  for (int size : {16, 24, 32, 48, 64, 128, 256}) icon.addPixmap(draw(size));
  return icon;
}

}  // namespace pgpp::app
