#!/usr/bin/env bash
# Builds the .deb (cpack in the build folder), installs it with apt (which pulls in its Debian
# dependencies), validates the installed desktop entry and starts the window from the entry's
# Exec line under Xvfb with a PDF, then checks that the PDF reached the library. Needs root.
#
#   packaging/check-deb.sh [BUILD_DIR]      (default: build/release)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/release}
die() { echo "check-deb.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (it installs the package)"
(cd "$build" && cpack) || die "cpack failed"
deb=$(ls -t "$build"/pgpp_*.deb | head -1)
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" || die "apt-get install $deb failed"
entry=/usr/share/applications/pgpp-desktop.desktop
[ -f "$entry" ] || die "$entry was not installed"
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$entry" || die "$entry is not valid"; fi
pdf=${PGPP_TEST_PDFS:-$HOME/.local/share/pgpp/test-pdfs}/R-data.pdf
[ -f "$pdf" ] || die "$pdf is missing (run packaging/setup.sh --no-build)"
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
exec_line=$(sed -n 's/^Exec=//p' "$entry")
# shellcheck disable=SC2086
set -- ${exec_line/\%F/$pdf}
models=${PGPP_MODELS:-$HOME/.local/share/pgpp/models}
# The window keeps running: stop it after 60 s, then look at what it stored.
HOME=$home PGPP_MODELS=$models timeout 60 xvfb-run -a "$@" > "$home/run.log" 2>&1 || [ $? -eq 124 ] ||
  { cat "$home/run.log"; die "pgpp-desktop exited early"; }
grep -q "1 added" "$home/run.log" || { cat "$home/run.log"; die "pgpp-desktop did not add $pdf"; }
HOME=$home pgpp list --library "$home/.local/share/pgpp/library" | grep -q "R-data.pdf" || die "the library lacks $pdf"
echo "check-deb.sh: $deb installs; its desktop entry starts pgpp-desktop, which indexed $(basename "$pdf")"
