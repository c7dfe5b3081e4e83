#pragma once
// The application's icon, drawn with QPainter in the design of resources/pgpp-desktop.svg (Qt's
// SVG plugin is not a dependency; the desktop environment renders the installed SVG itself).
#include <QIcon>

namespace pgpp::app {

QIcon app_icon();

}  // namespace pgpp::app
