// The ingest pipeline on real PDFs with the real encoder: results per file, skip/fail reasons,
// files already stored are not read again, and a cancel leaves the library consistent.
#include "rag/ingest_pipeline.h"

#include <gtest/gtest.h>

#include <fstream>

#include "rag/sqlite_db.h"
#include "tests/rag/ingested_library.h"
#include "tests/rag/rag_fixture.h"

namespace pgpp::rag {
namespace {

using Status = IngestFileResult::Status;

// Every stored document is whole: pages, passages, full-text rows and embeddings agree, and
// SQLite's own check passes.
void expect_consistent(Library& lib, const std::string& encoder) {
  EXPECT_EQ(test::count(lib, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"), 0);
  for (const auto& d : lib.documents()) {
    const std::string id = std::to_string(d.id);
    EXPECT_EQ(test::count(lib, ("SELECT count(*) FROM pages WHERE document_id = " + id).c_str()), d.pages) << d.path;
    EXPECT_GT(d.passages, 0) << d.path;
  }
  EXPECT_EQ(lib.embedding_count(encoder), lib.passage_count());
  EXPECT_EQ(test::count(lib, "SELECT count(*) FROM passages_fts"), lib.passage_count());
}

TEST(IngestPipeline, ResultsPerFileAndUnchangedFilesNotReadAgain) {
  kernels::CpuBackend cpu(2);
  embed::Encoder encoder(test::default_encoder(), cpu);
  Library lib(":memory:");
  const auto dir = test::make_temp_dir("ingest");
  { std::ofstream(dir / "not-a-pdf.pdf") << "hello"; }
  std::vector<IngestFileResult> rejected;
  const auto files = collect_pdf_files({test::test_pdf("chinese.pdf"), test::test_pdf("scanned-history-en.pdf"),
                                        dir / "not-a-pdf.pdf", dir / "missing.pdf"},
                                       rejected);
  ASSERT_EQ(files.size(), 3u);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].reason, "no such file or folder");

  std::vector<IngestProgress> seen;
  IngestPipeline pipeline(lib, encoder);
  const auto report = pipeline.run(files, [&](const IngestProgress& p) { seen.push_back(p); });
  ASSERT_EQ(report.files.size(), 3u);
  EXPECT_EQ(report.files[0].status, Status::kAdded) << report.files[0].reason;
  EXPECT_GT(report.files[0].passages, 0);
  EXPECT_EQ(report.files[1].status, Status::kSkipped);  // a scan: no text layer
  EXPECT_NE(report.files[1].reason.find("not searchable"), std::string::npos) << report.files[1].reason;
  EXPECT_EQ(report.files[2].status, Status::kFailed);
  EXPECT_NE(report.files[2].reason.find("not-a-pdf.pdf"), std::string::npos) << report.files[2].reason;
  EXPECT_FALSE(report.cancelled);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().files_done, 3);
  EXPECT_EQ(seen.back().files_total, 3);
  EXPECT_EQ(lib.documents().size(), 1u);
  expect_consistent(lib, encoder.identity());

  // Again: the stored file is recognised by content and linked, not re-embedded.
  const auto again = pipeline.run({files[0]});
  EXPECT_EQ(again.files[0].status, Status::kUnchanged);
  EXPECT_EQ(again.passages, 0);
  EXPECT_EQ(lib.documents().size(), 1u);
  std::filesystem::remove_all(dir);
}

TEST(IngestPipeline, CancelLeavesLibraryConsistent) {
  kernels::CpuBackend cpu(2);
  embed::Encoder encoder(test::default_encoder(), cpu);
  const auto dir = test::make_temp_dir("ingest-cancel");
  const std::vector<std::filesystem::path> files{test::test_pdf("chinese.pdf"), test::test_pdf("R-data.pdf"),
                                                 test::test_pdf("project-history.en.pdf")};
  IngestReport report;
  {
    Library lib(dir / "lib.db");
    IngestPipeline pipeline(lib, encoder);
    std::stop_source stop;
    // Cancel once the first document is stored and the next is being embedded.
    report = pipeline.run(
        files,
        [&](const IngestProgress& p) {
          if (p.files_done >= 1 && p.passages > report.passages + 20) stop.request_stop();
        },
        stop.get_token());
  }
  EXPECT_TRUE(report.cancelled);
  EXPECT_EQ(report.files[0].status, Status::kAdded);
  EXPECT_EQ(report.files[2].status, Status::kCancelled);
  // Reopened from the file: only whole documents, exactly those reported stored.
  Library lib(dir / "lib.db");
  int stored = 0;
  for (const auto& f : report.files) stored += f.status == Status::kAdded;
  EXPECT_EQ(static_cast<int>(lib.documents().size()), stored);
  expect_consistent(lib, encoder.identity());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgpp::rag
