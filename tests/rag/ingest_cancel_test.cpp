// Cancelling while a long manual is being read: the pipeline stops after the page being read,
// not after the last of thousands, and stores nothing of that document.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "kernels/error.h"
#include "rag/ingest_pipeline.h"
#include "tests/rag/ingested_library.h"
#include "tests/rag/rag_fixture.h"

namespace pgpp::rag {
namespace {

// A plain PDF of `pages` pages of English text in Helvetica, each page different (its number in
// the text), written by hand: the format's objects, a cross-reference table and a trailer.
void write_long_pdf(const std::filesystem::path& path, int pages) {
  std::vector<std::string> objects;  // objects[i] is object number i + 1
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push_back("");  // the page tree, filled in once the page objects are numbered
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  std::string kids;
  for (int p = 1; p <= pages; ++p) {
    std::ostringstream content;
    content << "BT /F1 11 Tf 72 740 Td 14 TL\n";
    for (int line = 0; line < 30; ++line) {
      content << "(Section " << p << "." << line << ": the operator manual describes how valve "
              << (p * 31 + line) % 997 << " is checked before the pump starts.) '\n";
    }
    content << "ET";
    const std::string stream = content.str();
    objects.push_back("<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream +
                      "\nendstream");
    const int content_id = static_cast<int>(objects.size());
    objects.push_back(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> "
        ">> "
        "/Contents " +
        std::to_string(content_id) + " 0 R >>");
    kids += std::to_string(objects.size()) + " 0 R ";
  }
  objects[1] = "<< /Type /Pages /Count " + std::to_string(pages) + " /Kids [" + kids + "] >>";
  std::ofstream out(path, std::ios::binary);
  std::string text = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(text.size());
    text += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const std::size_t xref = text.size();
  text += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (const auto off : offsets) {
    char entry[24];
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", off);
    text += entry;
  }
  text += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
          " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  out << text;
}

TEST(IngestCancel, StopWhileReadingALongPdfEndsAtOnceAndStoresNothingOfIt) {
  kernels::CpuBackend cpu(2);
  embed::Encoder encoder(test::default_encoder(), cpu);
  const auto dir = test::make_temp_dir("ingest-cancel-long");
  const auto manual = dir / "manual.pdf";
  constexpr int kPages = 2400;
  write_long_pdf(manual, kPages);
  // The file is a real PDF that reads whole: check a few pages the same way the pipeline will.
  {
    int seen = 0;
    try {
      read_pdf(manual, {.progress = [&](int done, int total) {
                 EXPECT_EQ(total, kPages);
                 seen = done;
                 if (done == 3) throw Cancelled();
               }});
    } catch (const Cancelled&) {
    }
    ASSERT_EQ(seen, 3);
  }
  const std::vector<std::filesystem::path> files{test::test_pdf("chinese.pdf"), manual};

  IngestReport report;
  std::atomic<int> last_page{0}, page_at_stop{0};
  {
    Library lib(dir / "lib.db");
    IngestOptions options;
    options.reading.progress = [&](int done, int) { last_page = done; };
    IngestPipeline pipeline(lib, encoder, options);
    std::stop_source stop;
    // Stop from the store thread's progress once the manual is well under way (the small file is
    // read first); the reader is then somewhere in the manual's first few hundred pages.
    report = pipeline.run(
        files,
        [&](const IngestProgress& p) {
          if (!stop.stop_requested() && last_page >= 100) {
            page_at_stop = last_page.load();
            stop.request_stop();
          }
        },
        stop.get_token());
  }
  ASSERT_TRUE(report.cancelled);
  ASSERT_GT(page_at_stop.load(), 0) << "the stop was never requested while the manual was read";
  // At most the page in progress (and the one the reader started meanwhile) after the request.
  EXPECT_LE(last_page.load(), page_at_stop.load() + 2) << "reading went on after the stop";
  EXPECT_LT(last_page.load(), kPages);
  EXPECT_EQ(report.files[1].status, IngestFileResult::Status::kCancelled);
  EXPECT_EQ(report.files[1].passages, 0);

  Library lib(dir / "lib.db");
  EXPECT_EQ(
      test::count(lib, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"),
      0);
  for (const auto& d : lib.documents()) {
    EXPECT_EQ(std::filesystem::path(d.path).filename(), "chinese.pdf")
        << "a document of the cancelled file was stored";
  }
  EXPECT_EQ(test::count(lib, "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH 'valve'"),
            0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgpp::rag
