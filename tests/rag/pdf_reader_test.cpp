#include "rag/pdf_reader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "kernels/error.h"
#include "tests/common/test_models.h"
#include "tests/rag/test_pdfs.h"

namespace pgpp::rag {
namespace {

using test::test_pdf;

std::string error_of(const std::filesystem::path& p, const PdfReadOptions& o = {}) {
  try {
    read_pdf(p, o);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(PdfReader, EnglishManualHasAllPagesAndWordBoxesInsideThePage) {
  const PdfDocument doc = read_pdf(test_pdf("R-data.pdf"));
  ASSERT_EQ(doc.pages.size(), 41u);  // pdfinfo: Pages: 41
  EXPECT_EQ(doc.producer, "pdfTeX-1.40.24");
  EXPECT_EQ(doc.count_pages(PageStatus::kImageOnly), 0);
  EXPECT_EQ(doc.count_pages(PageStatus::kGarbage), 0);
  EXPECT_FALSE(doc.text_is_garbage());
  size_t words = 0;
  for (const PdfPage& p : doc.pages) {
    EXPECT_NEAR(p.width, 612, 1);  // US letter
    EXPECT_NEAR(p.height, 792, 1);
    for (const PageWord& w : p.words) {
      ASSERT_LT(w.begin, w.end);
      ASSERT_LE(w.end, p.text.size());
      EXPECT_GE(w.box.x0, 0);
      EXPECT_GE(w.box.y0, 0);
      EXPECT_LE(w.box.x1, p.width);
      EXPECT_LE(w.box.y1, p.height);
      EXPECT_LT(w.box.x0, w.box.x1);
      EXPECT_LT(w.box.y0, w.box.y1);
    }
    words += p.words.size();
  }
  EXPECT_GT(words, 8000u);
  // The title page, in reading order.
  EXPECT_NE(doc.pages[0].text.find("R Data Import/Export"), std::string::npos) << doc.pages[0].text;
  // Reading order top to bottom on a text page: the first word lies above the last.
  const PdfPage& p5 = doc.pages[4];
  ASSERT_FALSE(p5.words.empty());
  EXPECT_LT(p5.words.front().box.y0, p5.words.back().box.y0);
}

TEST(PdfReader, ProgressReportsEveryPageAndCanCancel) {
  std::vector<int> seen;
  PdfReadOptions o;
  o.progress = [&](int done, int total) {
    EXPECT_EQ(total, 27);
    seen.push_back(done);
  };
  read_pdf(test_pdf("project-history.en.pdf"), o);
  ASSERT_EQ(seen.size(), 27u);
  EXPECT_EQ(seen.back(), 27);
  o.progress = [](int done, int) {
    if (done == 3) throw Cancelled();
  };
  EXPECT_THROW(read_pdf(test_pdf("project-history.en.pdf"), o), Cancelled);
}

TEST(PdfReader, TitleAndRussianText) {
  const PdfDocument doc = read_pdf(test_pdf("project-history.ru.pdf"));
  EXPECT_EQ(doc.title, "Краткая история Debian");
  EXPECT_EQ(doc.pages.size(), 28u);
  EXPECT_EQ(doc.count_pages(PageStatus::kGarbage), 0);
  std::string all;
  for (const auto& p : doc.pages) all += p.text;
  EXPECT_NE(all.find("Debian"), std::string::npos);
  EXPECT_NE(all.find("проект"), std::string::npos);
}

TEST(PdfReader, JapaneseAndChineseAreNotGarbage) {
  for (const char* name : {"project-history.ja.pdf", "chinese.pdf"}) {
    const PdfDocument doc = read_pdf(test_pdf(name));
    EXPECT_EQ(doc.count_pages(PageStatus::kGarbage), 0) << name;
    EXPECT_GT(doc.count_pages(PageStatus::kText), 0) << name;
  }
  const PdfDocument ja = read_pdf(test_pdf("project-history.ja.pdf"));
  EXPECT_EQ(ja.title, "Debian 小史");
}

TEST(PdfReader, PasswordLockedFileNamesFileAndPassword) {
  const auto path = test_pdf("password.pdf");
  const std::string e = error_of(path);
  EXPECT_NE(e.find("password.pdf"), std::string::npos) << e;
  EXPECT_NE(e.find("password required"), std::string::npos) << e;
  // The reader is shared by the command line and the window: no command-line option in its words.
  EXPECT_EQ(e.find("--password"), std::string::npos) << e;
  const std::string wrong = error_of(path, {.password = "nope"});
  EXPECT_NE(wrong.find("wrong password"), std::string::npos) << wrong;

  const PdfDocument doc = read_pdf(path, {.password = "test"});
  EXPECT_TRUE(doc.encrypted);
  EXPECT_EQ(doc.pages.size(), 4u);
  EXPECT_GT(doc.count_pages(PageStatus::kText), 0);
}

TEST(PdfReader, ImageOnlyPagesAreKeptAndFlagged) {
  const PdfDocument doc = read_pdf(test_pdf("scanned-history-en.pdf"));
  ASSERT_EQ(doc.pages.size(), 2u);
  for (const auto& p : doc.pages) {
    EXPECT_EQ(p.status, PageStatus::kImageOnly);
    EXPECT_TRUE(p.text.empty());
  }
  ASSERT_FALSE(doc.warnings.empty());
  EXPECT_EQ(doc.warnings[0], "pages 1-2: image-only, not searchable");
}

TEST(PdfReader, ArabicWithBrokenFontEncodingIsGarbage) {
  const PdfDocument doc = read_pdf(test_pdf("sajda.pdf"));
  EXPECT_TRUE(doc.text_is_garbage());
  EXPECT_GT(doc.count_pages(PageStatus::kGarbage), 0);
  bool warned = false;
  for (const auto& w : doc.warnings) warned |= w.find("not searchable") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(PdfReader, GarbageScoreSeparatesRealTextFromMojibake) {
  EXPECT_LT(garbage_score("The quick brown fox jumps over the lazy dog. readLines() returns a "
                          "character vector; see also scan() and read.table() for the details here."),
            0.05);
  EXPECT_LT(garbage_score("Le système d'exploitation est installé à côté de l'éditeur; où est la "
                          "fenêtre? Déjà vu, très élevé, garçon, naïve, Noël, été, forêt."),
            0.2);
  EXPECT_GT(garbage_score("à ð QåªË @ð ø X AmÌ '@ ZQmÌ '@ Õæ A« á« ®k éK @ð P è YjË @ èP ñ "
                          "QåªË AmÌ ZQmÌ YjË éK Õæ á« ®k èP"),
            0.4);
  EXPECT_GT(garbage_score(std::string(60, 'a') + " \xEF\xBF\xBD\xEF\xBF\xBD x\xEE\x80\x80y z\xEE\x80\x81 "
                          "\xEF\xBF\xBDq \xEF\xBF\xBDr"),
            0.4);
}

// A one-page PDF with one line of Helvetica text, the page turned by /Rotate.
std::string one_line_pdf(int rotate) {
  const std::string content = "BT /F1 24 Tf 72 700 Td (Hello rotated world) Tj ET";
  const std::vector<std::string> objs = {
      "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate " + std::to_string(rotate) +
          " /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream"};
  std::string pdf = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objs.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objs[i] + "\nendobj\n";
  }
  const size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objs.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t o : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", o);
    pdf += line;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objs.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

TEST(PdfReader, RotatedPageBoxesAreInTheDisplayedFrame) {
  const auto dir = test::make_temp_dir("rotate");
  for (int rotate : {0, 90}) {
    const auto path = dir / ("rot" + std::to_string(rotate) + ".pdf");
    std::ofstream(path, std::ios::binary) << one_line_pdf(rotate);
    const PdfDocument doc = read_pdf(path);
    ASSERT_EQ(doc.pages.size(), 1u);
    const PdfPage& p = doc.pages[0];
    EXPECT_EQ(p.width, rotate ? 792 : 612);
    EXPECT_EQ(p.height, rotate ? 612 : 792);
    ASSERT_EQ(p.words.size(), 3u);
    EXPECT_EQ(p.text.substr(p.words[1].begin, p.words[1].end - p.words[1].begin), "rotated");
    for (const PageWord& w : p.words) {
      EXPECT_GE(w.box.x0, 0);
      EXPECT_LE(w.box.x1, p.width);
      EXPECT_GE(w.box.y0, 0);
      EXPECT_LE(w.box.y1, p.height);
    }
    // The line starts 72 pt from the unrotated page's left edge: the displayed page's top when
    // turned a quarter clockwise.
    if (rotate == 0) {
      EXPECT_NEAR(p.words[0].box.x0, 72, 1);
    } else {
      EXPECT_NEAR(p.words[0].box.y0, 72, 1);
      EXPECT_GT(p.words[0].box.x0, 600);
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(PdfReader, EmptyCorruptTruncatedAndMissingFilesErrorByName) {
  const auto dir = test::make_temp_dir("pdf");
  const auto empty = dir / "empty.pdf";
  std::ofstream(empty).close();
  EXPECT_NE(error_of(empty).find("empty.pdf: empty file"), std::string::npos) << error_of(empty);

  const auto junk = dir / "junk.pdf";
  std::ofstream(junk) << "this is not a PDF at all, just some words\n";
  EXPECT_NE(error_of(junk).find("junk.pdf: not a readable PDF"), std::string::npos) << error_of(junk);

  // The first third of a real PDF: the trailer, cross-reference table and catalog are gone.
  const auto src = test_pdf("R-data.pdf");
  std::ifstream in(src, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto cut = dir / "truncated.pdf";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  const std::string e = error_of(cut);
  EXPECT_NE(e.find("truncated.pdf: "), std::string::npos) << e;

  EXPECT_NE(error_of(dir / "absent.pdf").find("absent.pdf: file not found"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgpp::rag
