#pragma once
// Reads a PDF with poppler-cpp into pages of text and word boxes, in reading order.
//
// Coordinates are PDF points (1/72 inch) on the page as displayed (rotation applied), origin at
// the top-left corner, y growing downwards: the frame poppler's text layer uses, and the one a
// viewer needs to draw a highlight over a rendered page.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace pgpp::rag {

struct WordBox {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // points, top-left origin
};

// One word of a page's text: its byte span [begin, end) in PdfPage::text and where it is drawn.
struct PageWord {
  uint32_t begin = 0;
  uint32_t end = 0;
  WordBox box;
};

enum class PageStatus {
  kText,       // a usable text layer
  kBlank,      // nothing drawn at all (a blank verso page): nothing to search, nothing lost
  kImageOnly,  // drawn but no text layer: a scan; "image-only, not searchable"
  kGarbage,    // a text layer that does not decode to real text (broken font encoding)
};

const char* page_status_name(PageStatus s);

struct PdfPage {
  int number = 0;  // 1-based
  float width = 0, height = 0;
  // UTF-8. Words are joined by ' ' (or nothing where the PDF draws no space, as in CJK), lines
  // by '\n', blocks separated by a larger vertical gap by "\n\n".
  std::string text;
  std::vector<PageWord> words;
  PageStatus status = PageStatus::kText;
  float garbage = 0;  // garbage_score() of the text
};

struct PdfDocument {
  std::filesystem::path path;
  std::string title;  // from the info dictionary, else empty
  std::string author, subject, keywords, creator, producer;
  int64_t created = 0;  // Unix time from the info dictionary, 0 when absent
  bool encrypted = false;
  std::vector<PdfPage> pages;
  // Plain-words reasons a person should see ("pages 3-4: image-only, not searchable").
  std::vector<std::string> warnings;

  int count_pages(PageStatus s) const;
  // True when most pages that carry text carry garbage: the document cannot be searched.
  bool text_is_garbage() const;
};

struct PdfReadOptions {
  std::string password;  // user or owner password for a locked file
  // Render text-less pages at this resolution to tell a blank page from a scan.
  int probe_dpi = 12;
  // Called after each page with (pages read, pages); may throw pgpp::Cancelled to stop.
  std::function<void(int, int)> progress;
};

// The words in the error for a locked file opened without a password; each front end looks
// for them to add its own way of giving the password.
inline constexpr const char* kPasswordRequired = "password required";

// Throws pgpp::Error naming the file for a missing, empty, corrupt or locked file
// ("x.pdf: password required (the PDF is locked)").
PdfDocument read_pdf(const std::filesystem::path& path, const PdfReadOptions& options = {});

// Share (0..1) of a text's letters that look like a broken font encoding rather than a real
// script; see pdf_reader.cpp for the signals. Exposed for tests and diagnostics.
double garbage_score(const std::string& utf8);

}  // namespace pgpp::rag
