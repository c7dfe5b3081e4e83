#include "rag/pdf_reader.h"

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-image.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <system_error>

#include "kernels/error.h"

namespace pgpp::rag {

namespace {

// Above this share of odd words a page's text layer is called garbage and not searched. Real
// text in the corpus's languages (English manuals with code, French, German, Russian, Greek,
// Hindi, CJK) stays below 0.07; pages of the Arabic files whose fonts lack a Unicode map score
// 0.66-0.68. An English paper quoting such Arabic scores 0.3-0.47 on those pages: above
// kPartlyGarbage the page stays searchable but is reported.
constexpr double kGarbageThreshold = 0.5;
constexpr double kPartlyGarbage = 0.2;
// A page needs this many letters before its score means anything.
constexpr int kGarbageMinLetters = 40;

std::string to_utf8(const poppler::ustring& s) {
  const poppler::byte_array bytes = s.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

void ignore_poppler_message(const std::string&, void*) {}

bool is_broken_char(UChar32 c) {
  if (c == 0xFFFD) return true;                        // replacement character
  if (c >= 0xE000 && c <= 0xF8FF) return true;         // private use: unmapped glyphs
  if (c >= 0xF0000) return true;                       // supplementary private use
  if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7F && c < 0xA0)) return true;
  return U_IS_UNICODE_NONCHAR(c);
}

bool is_latin1_letter(UChar32 c) { return c >= 0xC0 && c <= 0xFF && c != 0xD7 && c != 0xF7; }

// Latin-1 signs that real words do not carry inside them (ordinal indicators, registered sign,
// currency, macron, ...); a font without a Unicode map yields them for arbitrary glyphs.
bool is_latin1_sign(UChar32 c) {
  return c >= 0xA1 && c <= 0xBF && c != 0xAB && c != 0xBB && c != 0xB0 && c != 0xB7 && c != 0xA7;
}

// One whitespace-separated token: does it look like a word of a real script?
bool token_is_odd(const std::string& s, size_t begin, size_t end, int& letters) {
  UScriptCode script = USCRIPT_COMMON;
  bool mixed = false, broken = false, sign = false, bad_case = false;
  int n_letters = 0, n_latin1 = 0;
  UChar32 prev = 0;
  for (size_t i = begin; i < end;) {
    UChar32 c;
    U8_NEXT(s.data(), i, end, c);
    if (c < 0 || is_broken_char(c)) {
      broken = true;
      continue;
    }
    if (is_latin1_sign(c)) sign = true;
    if (u_isalpha(c)) {
      ++n_letters;
      if (is_latin1_letter(c)) ++n_latin1;
      UErrorCode err = U_ZERO_ERROR;
      const UScriptCode sc = uscript_getScript(c, &err);
      if (sc != USCRIPT_COMMON && sc != USCRIPT_INHERITED) {
        if (script == USCRIPT_COMMON) {
          script = sc;
        } else if (sc != script && !(uscript_hasScript(c, script))) {
          // Text without spaces (Japanese, Chinese) runs kana, Han and Latin words together
          // legitimately; two alphabets in one word (Latin inside Cyrillic or Arabic) do not.
          const auto unspaced = [](UScriptCode x) {
            return x == USCRIPT_HAN || x == USCRIPT_HIRAGANA || x == USCRIPT_KATAKANA || x == USCRIPT_HANGUL ||
                   x == USCRIPT_THAI;
          };
          if (!unspaced(sc) && !unspaced(script)) mixed = true;
        }
      }
      // camelCase exists in code, but not with accented letters on either side.
      if (prev != 0 && u_islower(prev) && u_isupper(c) && (prev > 0x7F || c > 0x7F)) bad_case = true;
      prev = c;
    } else {
      prev = 0;
    }
  }
  letters += n_letters;
  if (n_letters == 0) return broken;
  const bool all_latin1 = n_letters >= 2 && n_latin1 == n_letters;
  return broken || mixed || bad_case || all_latin1 || (sign && n_letters > 0);
}

bool same_line(const WordBox& a, const WordBox& b) {
  const float mid = 0.5f * (b.y0 + b.y1);
  return mid >= a.y0 && mid <= a.y1 && b.x0 >= a.x0 - 1.0f;
}

bool page_has_ink(const poppler::page& page, int dpi) {
  poppler::page_renderer renderer;
  renderer.set_image_format(poppler::image::format_gray8);
  const poppler::image img = renderer.render_page(&page, dpi, dpi);
  if (!img.is_valid()) return true;  // cannot tell: say "image-only" rather than hide it
  const char* data = img.const_data();
  for (int y = 0; y < img.height(); ++y) {
    const auto* row = reinterpret_cast<const unsigned char*>(data + static_cast<size_t>(y) * img.bytes_per_row());
    for (int x = 0; x < img.width(); ++x) {
      if (row[x] < 200) return true;
    }
  }
  return false;
}

PdfPage read_page(const poppler::page& page, int number, int probe_dpi) {
  PdfPage out;
  out.number = number;
  const poppler::rectf rect = page.page_rect();
  out.width = static_cast<float>(rect.width());
  out.height = static_cast<float>(rect.height());
  if (page.orientation() == poppler::page::landscape || page.orientation() == poppler::page::seascape) {
    std::swap(out.width, out.height);
  }
  const std::vector<poppler::text_box> boxes = page.text_list();
  out.words.reserve(boxes.size());
  bool prev_space = false;
  for (const poppler::text_box& tb : boxes) {
    std::string word = to_utf8(tb.text());
    if (word.empty()) continue;
    const poppler::rectf r = tb.bbox();
    const WordBox box{static_cast<float>(r.left()), static_cast<float>(r.top()), static_cast<float>(r.right()),
                      static_cast<float>(r.bottom())};
    if (!out.words.empty()) {
      const WordBox& last = out.words.back().box;
      if (same_line(last, box)) {
        // A visible gap is a space even where the PDF draws none: a running header and its
        // page number ("Introduction" ... "4") are far apart but never separated by a glyph.
        const float gap = box.x0 - last.x1;
        if (prev_space || gap > 0.3f * std::max(1.0f, last.y1 - last.y0)) out.text += ' ';
      } else {
        const float height = std::max(1.0f, last.y1 - last.y0);
        out.text += (box.y0 - last.y1 > height) ? "\n\n" : "\n";
      }
    }
    PageWord w;
    w.begin = static_cast<uint32_t>(out.text.size());
    out.text += word;
    w.end = static_cast<uint32_t>(out.text.size());
    w.box = box;
    out.words.push_back(w);
    prev_space = tb.has_space_after();
  }
  if (out.words.empty()) {
    out.status = page_has_ink(page, probe_dpi) ? PageStatus::kImageOnly : PageStatus::kBlank;
  } else {
    out.garbage = static_cast<float>(garbage_score(out.text));
    if (out.garbage > kGarbageThreshold) out.status = PageStatus::kGarbage;
  }
  return out;
}

// "pages 3-4: image-only, not searchable" for each run of pages with the same problem.
void add_page_warnings(PdfDocument& doc) {
  const auto describe = [](PageStatus s) -> const char* {
    switch (s) {
      case PageStatus::kImageOnly: return "image-only, not searchable";
      case PageStatus::kGarbage: return "text layer does not decode to readable text (broken font encoding), not searchable";
      default: return nullptr;
    }
  };
  std::string partly;
  for (const PdfPage& p : doc.pages) {
    if (p.status == PageStatus::kText && p.garbage > kPartlyGarbage) partly += (partly.empty() ? "" : ", ") + std::to_string(p.number);
  }
  if (!partly.empty()) {
    doc.warnings.push_back("page(s) " + partly + ": part of the text layer does not decode to readable text");
  }
  for (size_t i = 0; i < doc.pages.size();) {
    const PageStatus s = doc.pages[i].status;
    size_t j = i;
    while (j + 1 < doc.pages.size() && doc.pages[j + 1].status == s) ++j;
    if (const char* what = describe(s)) {
      const int a = doc.pages[i].number, b = doc.pages[j].number;
      doc.warnings.push_back(a == b ? "page " + std::to_string(a) + ": " + what
                                    : "pages " + std::to_string(a) + "-" + std::to_string(b) + ": " + what);
    }
    i = j + 1;
  }
}

}  // namespace

const char* page_status_name(PageStatus s) {
  switch (s) {
    case PageStatus::kText: return "text";
    case PageStatus::kBlank: return "blank";
    case PageStatus::kImageOnly: return "image-only";
    case PageStatus::kGarbage: return "garbage";
  }
  return "?";
}

int PdfDocument::count_pages(PageStatus s) const {
  return static_cast<int>(std::count_if(pages.begin(), pages.end(), [s](const PdfPage& p) { return p.status == s; }));
}

bool PdfDocument::text_is_garbage() const {
  const int garbage = count_pages(PageStatus::kGarbage);
  return garbage > 0 && garbage >= count_pages(PageStatus::kText);
}

// Counts whitespace-separated tokens that do not look like words of one real script: broken
// characters (U+FFFD, private use, controls), two scripts in one word, a case change next to an
// accented letter ("AmÌ"), Latin-1 signs inside a word ("QåªË"), words made only of accented
// Latin-1 letters. Fonts without a Unicode map produce exactly these; real words rarely do.
double garbage_score(const std::string& utf8) {
  int tokens = 0, odd = 0, letters = 0;
  size_t i = 0;
  const size_t n = utf8.size();
  while (i < n) {
    while (i < n && (utf8[i] == ' ' || utf8[i] == '\n' || utf8[i] == '\t')) ++i;
    const size_t begin = i;
    while (i < n && utf8[i] != ' ' && utf8[i] != '\n' && utf8[i] != '\t') ++i;
    if (i == begin) break;
    int token_letters = 0;
    const bool is_odd = token_is_odd(utf8, begin, i, token_letters);
    if (token_letters > 0 || is_odd) {
      ++tokens;
      if (is_odd) ++odd;
    }
    letters += token_letters;
  }
  if (letters < kGarbageMinLetters || tokens == 0) return 0.0;
  return static_cast<double>(odd) / tokens;
}

PdfDocument read_pdf(const std::filesystem::path& path, const PdfReadOptions& options) {
  const std::string name = path.filename().string();
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw Error(name + ": file not found (" + path.string() + ")");
  if (!std::filesystem::is_regular_file(status)) throw Error(name + ": not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw Error(name + ": cannot read the file (" + ec.message() + ")");
  if (size == 0) throw Error(name + ": empty file (0 bytes)");

  // Poppler prints its parse errors to stderr; the reasons a person needs come from us.
  poppler::set_debug_error_function(ignore_poppler_message, nullptr);
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_file(path.string(), options.password, options.password));
  if (!doc) throw Error(name + ": not a readable PDF (damaged, truncated or not a PDF)");
  if (doc->is_locked()) {
    throw Error(options.password.empty() ? name + ": " + kPasswordRequired + " (the PDF is locked)"
                                         : name + ": wrong password");
  }
  const int n_pages = doc->pages();
  if (n_pages <= 0) throw Error(name + ": the PDF has no pages");

  PdfDocument out;
  out.path = path;
  out.encrypted = doc->is_encrypted();
  out.title = to_utf8(doc->get_title());
  out.author = to_utf8(doc->info_key("Author"));
  out.subject = to_utf8(doc->info_key("Subject"));
  out.keywords = to_utf8(doc->info_key("Keywords"));
  out.creator = to_utf8(doc->info_key("Creator"));
  out.producer = to_utf8(doc->info_key("Producer"));
  const time_t created = doc->info_date_t("CreationDate");
  out.created = created > 0 ? static_cast<int64_t>(created) : 0;

  out.pages.reserve(static_cast<size_t>(n_pages));
  int unreadable = 0;
  for (int i = 0; i < n_pages; ++i) {
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (!page) {
      PdfPage p;
      p.number = i + 1;
      p.status = PageStatus::kImageOnly;
      out.pages.push_back(std::move(p));
      ++unreadable;
      continue;
    }
    out.pages.push_back(read_page(*page, i + 1, options.probe_dpi));
    if (options.progress) options.progress(i + 1, n_pages);
  }
  if (unreadable == n_pages) throw Error(name + ": no page of the PDF can be read (damaged file)");
  add_page_warnings(out);
  if (out.count_pages(PageStatus::kText) == 0 && out.count_pages(PageStatus::kGarbage) == 0) {
    out.warnings.push_back("no text layer at all: the document is a scan and cannot be searched (no OCR)");
  } else if (out.text_is_garbage()) {
    out.warnings.push_back("the text layer is garbage on most pages: the document cannot be searched");
  }
  return out;
}

}  // namespace pgpp::rag
