#!/usr/bin/env bash
# Screenshots of pgpp-desktop under Xvfb (a real X server, the xcb platform): the library while
# PDFs are indexed, an answer with its sources, and the cited page with its highlight. Runs the
# main flow of the window test with PGPP_SCREENSHOT_DIR set and checks the three PNGs exist.
#
#   tests/desktop/take_screenshots.sh [TEST_PROGRAM] [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
program=${1:-$here/../../build/release/bin/pgpp_desktop_window_test}
out=${2:-$here/../../build/release/screenshots}
command -v xvfb-run >/dev/null || { echo "take_screenshots.sh: xvfb-run is missing (apt-get install xvfb xauth)" >&2; exit 1; }
[ -x "$program" ] || { echo "take_screenshots.sh: no test program at $program (build it first)" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/*.png
PGPP_SCREENSHOT_DIR=$out QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" \
  "$program" dropAskCiteAndView
for f in 1-library-progress.png 2-answer-sources.png 3-viewer-highlight.png; do
  [ -s "$out/$f" ] || { echo "take_screenshots.sh: $out/$f was not written" >&2; exit 1; }
done
echo "screenshots in $out"
