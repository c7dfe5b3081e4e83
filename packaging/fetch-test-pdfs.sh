#!/usr/bin/env bash
# Fetches the few real PDFs the rag tests read, from Debian 12 documentation packages, without
# installing anything (`apt-get download` + `dpkg-deb -x`, as ../shared corpus/fetch-corpus.sh
# does for the full corpus). Safe to run again: does nothing when every file is in place.
#
#   packaging/fetch-test-pdfs.sh [OUT_DIR]   (default: $PGPP_TEST_PDFS or ~/.local/share/pgpp/test-pdfs)
#
# needs: apt-get (after apt-get update), dpkg-deb, gunzip; for the image-only "scan" also
# pdftoppm (poppler-utils) and python3 (standard library only).
set -euo pipefail

OUT=${1:-${PGPP_TEST_PDFS:-${XDG_DATA_HOME:-$HOME/.local/share}/pgpp/test-pdfs}}

# name in OUT | package | path inside the package (a .gz beside it is unpacked) | why the tests want it
files=(
  "R-data.pdf|r-doc-pdf|/usr/share/R/doc/manual/R-data.pdf|English manual, 41 pages (pdfTeX)"
  "project-history.en.pdf|debian-history|/usr/share/doc/debian-history/docs/project-history.en.pdf|English, source of the scan"
  "project-history.ru.pdf|debian-history|/usr/share/doc/debian-history/docs/project-history.ru.pdf|Russian"
  "project-history.ja.pdf|debian-history|/usr/share/doc/debian-history/docs/project-history.ja.pdf|Japanese"
  "chinese.pdf|r-cran-pdftools|/usr/share/doc/r-cran-pdftools/tests/testthat/chinese.pdf|Chinese, needs poppler-data"
  "password.pdf|r-cran-pdftools|/usr/share/doc/r-cran-pdftools/tests/testthat/pdf-example-password.original.pdf|user password test"
  "sajda.pdf|alqalam|/usr/share/doc/alqalam/examples/sajda.pdf|Arabic whose text layer extracts as garbage"
)
scan=scanned-history-en.pdf   # made here: pages 1-2 of project-history.en.pdf as images only

mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
missing=0
for f in "${files[@]}" "$scan|||"; do
  [ -s "$OUT/${f%%|*}" ] || missing=1
done
if [ $missing = 0 ]; then
  echo "fetch-test-pdfs: all $((${#files[@]} + 1)) test PDFs present in $OUT"
  exit 0
fi

W=$(mktemp -d); chmod 755 "$W"; trap 'rm -rf "$W"' EXIT; cd "$W"
packages=$(for f in "${files[@]}"; do IFS='|' read -r _ pkg _ _ <<<"$f"; echo "$pkg"; done | sort -u)
# shellcheck disable=SC2086
if ! apt-get -o APT::Sandbox::User=root download $packages >/dev/null 2>&1; then
  # A fresh machine may have no package lists yet: fetch them once and try again.
  sudo=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo="sudo"
  $sudo apt-get update -q >/dev/null || true
  apt-get -o APT::Sandbox::User=root download $packages >/dev/null \
    || { echo "fetch-test-pdfs: apt-get download $packages failed (check the network and apt sources)" >&2; exit 1; }
fi
mkdir -p x; for d in *.deb; do dpkg-deb -x "$d" "x/${d%%_*}"; done
for f in "${files[@]}"; do
  IFS='|' read -r name pkg path _ <<<"$f"
  src="x/$pkg$path"
  if [ -f "$src" ]; then cp "$src" "$OUT/$name.part"; else gunzip -c "$src.gz" > "$OUT/$name.part"; fi
  mv "$OUT/$name.part" "$OUT/$name"
done

# An image-only "scan": pages rendered to 8-bit grey at 100 dpi, each wrapped as one Flate image
# filling a page of the original size. No text layer at all.
pdftoppm -f 1 -l 2 -r 100 -gray "$OUT/project-history.en.pdf" pg
python3 - "$OUT/$scan.part" pg-*.pgm <<'PY'
import sys, zlib
out, pgms = sys.argv[1], sys.argv[2:]
objs = []  # object bodies, numbered from 1
def add(body):
    objs.append(body)
    return len(objs)
pages = []
for p in pgms:
    data = open(p, "rb").read()
    # P5 header: magic, width, height, maxval, one whitespace byte, then the pixels.
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace(): pos += 1
        end = pos
        while not data[end:end + 1].isspace(): end += 1
        fields.append(data[pos:end]); pos = end
    w, h = int(fields[1]), int(fields[2])
    pixels = zlib.compress(data[pos + 1:pos + 1 + w * h], 9)
    pw, ph = w * 72.0 / 100, h * 72.0 / 100
    img = add(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
              b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (w, h, len(pixels))
              + pixels + b"\nendstream")
    content = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (pw, ph)
    cs = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    pages.append((img, cs, pw, ph))
pages_obj = len(objs) + len(pages) + 1
kids = [add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 %d 0 R >> >> "
            b"/Contents %d 0 R >>" % (pages_obj, pw, ph, img, cs)) for img, cs, pw, ph in pages]
add(b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(kids), b" ".join(b"%d 0 R" % k for k in kids)))
catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj)
pdf, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
for i, body in enumerate(objs, 1):
    offsets.append(len(pdf))
    pdf += b"%d 0 obj\n" % i + body + b"\nendobj\n"
xref = len(pdf)
pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
pdf += b"".join(b"%010d 00000 n \n" % o for o in offsets)
pdf += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, catalog, xref)
open(out, "wb").write(pdf)
PY
mv "$OUT/$scan.part" "$OUT/$scan"
echo "fetch-test-pdfs: $(ls "$OUT" | wc -l) test PDFs in $OUT ($(du -sh "$OUT" | cut -f1))"
