#include "rag/library.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "kernels/error.h"
#include "embed/sha256.h"
#include "tests/common/test_models.h"
#include "tests/rag/rag_fixture.h"

namespace pgpp::rag {
namespace {

using test::count;
using test::prepare;

struct Snapshot {
  int64_t documents, pages, passages, fts_rows, embeddings, generation;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(Library& lib) {
  return {count(lib, "SELECT count(*) FROM documents"), count(lib, "SELECT count(*) FROM pages"),
          count(lib, "SELECT count(*) FROM passages"), count(lib, "SELECT count(*) FROM passages_fts_docsize"),
          count(lib, "SELECT count(*) FROM embeddings"), lib.generation()};
}

void expect_fts_consistent(Library& lib) {
  EXPECT_NO_THROW(lib.db().exec("INSERT INTO passages_fts(passages_fts, rank) VALUES ('integrity-check', 1)"));
}

class LibraryTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir("library"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(embed::sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(embed::sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(embed::sha256_hex(std::string(1000000, 'a').data(), 1000000),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(UnspacedBigrams, HanKanaHangulButNotLatin) {
  EXPECT_EQ(unspaced_bigrams("中文文本 and 한국어, 再配布。x"), "中文 文文 文本 한국 국어 再配 配布");
  EXPECT_EQ(unspaced_bigrams("plain English"), "");
  EXPECT_EQ(unspaced_bigrams("单"), "单");
}

TEST_F(LibraryTest, SameFileTwiceIsStoredOnce) {
  Library lib(dir_ / "lib.db");
  EXPECT_EQ(lib.schema_version(), Library::kSchemaVersion);
  const auto src = test::test_pdf("project-history.en.pdf");
  const auto p = prepare(src);
  ASSERT_GT(p.chunks.passages.size(), 20u);
  const AddResult a = test::add(lib, p);
  EXPECT_EQ(a.outcome, AddResult::Outcome::kAdded);
  const Snapshot after_first = snapshot(lib);
  EXPECT_EQ(after_first.passages, static_cast<int64_t>(p.chunks.passages.size()));
  EXPECT_EQ(after_first.fts_rows, after_first.passages);
  EXPECT_EQ(after_first.embeddings, after_first.passages);
  EXPECT_EQ(after_first.pages, 27);

  // The same bytes under another name, into another collection.
  const auto copy = dir_ / "copy.pdf";
  std::filesystem::copy_file(src, copy);
  const auto q = prepare(copy);
  const AddResult b = lib.add_document(q.record, q.pdf, q.chunks, q.embeddings, lib.collection("work"));
  EXPECT_EQ(b.outcome, AddResult::Outcome::kUnchanged);
  EXPECT_EQ(b.document_id, a.document_id);
  EXPECT_EQ(snapshot(lib), after_first);
  EXPECT_EQ(lib.documents(lib.collection("work")).size(), 1u);

  const auto doc = lib.document(a.document_id);
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->title, "A Brief History of Debian");
  EXPECT_EQ(doc->pages, 27);
  EXPECT_EQ(doc->sha256, embed::sha256_file_hex(src));
  EXPECT_EQ(doc->status, "ok");
  EXPECT_EQ(doc->size, static_cast<int64_t>(std::filesystem::file_size(src)));
  EXPECT_EQ(doc->passages, static_cast<int>(p.chunks.passages.size()));

  // A stored passage keeps its span in the stored page text and its boxes.
  const auto hits = lib.search_bm25("Murdock", 3);
  ASSERT_FALSE(hits.empty());
  const auto sp = lib.passage(hits[0].passage_id);
  ASSERT_TRUE(sp);
  EXPECT_NE(sp->text.find("Murdock"), std::string::npos);
  EXPECT_FALSE(sp->boxes.empty());
  if (sp->page_first == sp->page_last) {
    EXPECT_EQ(lib.page_text(sp->document_id, sp->page_first).substr(sp->begin, sp->end - sp->begin), sp->text);
  }
}

TEST_F(LibraryTest, ChangedFileReplacesItsPassages) {
  Library lib(dir_ / "lib.db");
  const auto path = dir_ / "doc.pdf";
  std::filesystem::copy_file(test::test_pdf("project-history.ru.pdf"), path);
  const AddResult first = test::add(lib, prepare(path));
  EXPECT_FALSE(lib.search_bm25("проект", 5).empty());

  std::filesystem::copy_file(test::test_pdf("project-history.en.pdf"), path,
                             std::filesystem::copy_options::overwrite_existing);
  const auto p = prepare(path);
  const AddResult second = test::add(lib, p);
  EXPECT_EQ(second.outcome, AddResult::Outcome::kReplaced);
  EXPECT_NE(second.document_id, first.document_id);
  EXPECT_EQ(lib.documents().size(), 1u);
  EXPECT_FALSE(lib.document(first.document_id));
  EXPECT_EQ(lib.passage_count(), static_cast<int64_t>(p.chunks.passages.size()));
  EXPECT_TRUE(lib.search_bm25("проект", 5).empty());
  EXPECT_FALSE(lib.search_bm25("Murdock", 5).empty());
  expect_fts_consistent(lib);
}

TEST_F(LibraryTest, FailureMidDocumentLeavesTheLibraryAsBefore) {
  const auto file = dir_ / "lib.db";
  Snapshot before{};
  const auto ru = prepare(test::test_pdf("project-history.ru.pdf"));
  ASSERT_GT(ru.chunks.passages.size(), 10u);
  {
    Library lib(file);
    test::add(lib, prepare(test::test_pdf("project-history.en.pdf")));
    before = snapshot(lib);
    // Cancelled (or crashed) after 5 of the document's passages were written.
    EXPECT_THROW(test::add(lib, ru,
                           [](int done, int) {
                             if (done == 5) throw Cancelled();
                           }),
                 Cancelled);
    EXPECT_EQ(snapshot(lib), before);
    EXPECT_FALSE(lib.document_by_sha256(ru.record.sha256));
    EXPECT_TRUE(lib.search_bm25("проект", 5).empty());
    expect_fts_consistent(lib);
  }
  // Reopened from disk: still as before; the document can then go in whole.
  Library lib(file);
  EXPECT_EQ(snapshot(lib), before);
  EXPECT_EQ(test::add(lib, ru).outcome, AddResult::Outcome::kAdded);
  EXPECT_EQ(lib.passage_count(), before.passages + static_cast<int64_t>(ru.chunks.passages.size()));
}

TEST_F(LibraryTest, RemoveDeletesPassagesFullTextRowsAndEmbeddings) {
  Library lib(dir_ / "lib.db");
  const auto en = prepare(test::test_pdf("project-history.en.pdf"));
  test::add(lib, en);
  const Snapshot only_en = snapshot(lib);
  const AddResult ru = test::add(lib, prepare(test::test_pdf("project-history.ru.pdf")));
  EXPECT_GT(snapshot(lib).passages, only_en.passages);

  EXPECT_TRUE(lib.remove_document(ru.document_id));
  EXPECT_FALSE(lib.remove_document(ru.document_id));
  const Snapshot after = snapshot(lib);
  EXPECT_EQ(after.documents, only_en.documents);
  EXPECT_EQ(after.pages, only_en.pages);
  EXPECT_EQ(after.passages, only_en.passages);
  EXPECT_EQ(after.fts_rows, only_en.fts_rows);
  EXPECT_EQ(after.embeddings, only_en.embeddings);
  EXPECT_GT(after.generation, only_en.generation);
  EXPECT_EQ(count(lib, "SELECT count(*) FROM collection_documents"), 1);
  EXPECT_TRUE(lib.search_bm25("проект", 5).empty());
  expect_fts_consistent(lib);
}

TEST_F(LibraryTest, FilesArePrivateAndMemoryModeWritesNothing) {
  {
    Library lib(dir_ / "sub" / "lib.db");
    test::add(lib, prepare(test::test_pdf("project-history.en.pdf")));
    struct stat dir_st {};
    ASSERT_EQ(::stat((dir_ / "sub").c_str(), &dir_st), 0);
    EXPECT_EQ(dir_st.st_mode & 0777, 0700u);
    for (const auto& e : std::filesystem::directory_iterator(dir_ / "sub")) {
      struct stat st {};
      ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 0777, 0600u) << e.path();
    }
    EXPECT_TRUE(std::filesystem::exists(dir_ / "sub" / "lib.db-wal"));
  }
  const auto empty = dir_ / "cwd";
  std::filesystem::create_directories(empty);
  const auto old_cwd = std::filesystem::current_path();
  std::filesystem::current_path(empty);
  {
    Library lib(":memory:");
    EXPECT_TRUE(lib.in_memory());
    test::add(lib, prepare(test::test_pdf("project-history.en.pdf")));
    EXPECT_FALSE(lib.search_bm25("Murdock", 3).empty());
  }
  std::filesystem::current_path(old_cwd);
  EXPECT_TRUE(std::filesystem::is_empty(empty));
}

TEST_F(LibraryTest, FullTextFindsEnglishWordsAndCjkSubstrings) {
  Library lib(":memory:");
  const auto en = test::add(lib, prepare(test::test_pdf("project-history.en.pdf")));
  const auto ja = test::add(lib, prepare(test::test_pdf("project-history.ja.pdf")));
  const auto zh = test::add(lib, prepare(test::test_pdf("chinese.pdf")));
  const auto doc_of = [&](const SearchHit& h) { return lib.passage(h.passage_id)->document_id; };

  const auto murdock = lib.search_bm25("who is Ian Murdock?", 5);
  ASSERT_FALSE(murdock.empty());
  EXPECT_EQ(doc_of(murdock[0]), en.document_id);
  EXPECT_NE(lib.passage(murdock[0].passage_id)->text.find("Murdock"), std::string::npos);
  // Case and diacritics folded: "fernandez" finds "Fernández".
  const auto folded = lib.search_bm25("fernandez", 5);
  ASSERT_FALSE(folded.empty());

  // "再配布" (redistribute) inside unspaced Japanese sentences.
  const auto redistribute = lib.search_bm25("再配布", 5);
  ASSERT_FALSE(redistribute.empty());
  EXPECT_EQ(doc_of(redistribute[0]), ja.document_id);
  EXPECT_NE(lib.passage(redistribute[0].passage_id)->text.find("再配布"), std::string::npos);
  // "現金客戶" (cash clients) in Chinese drawn one character per word.
  const auto cash = lib.search_bm25("現金客戶", 5);
  ASSERT_FALSE(cash.empty());
  EXPECT_EQ(doc_of(cash[0]), zh.document_id);
  EXPECT_NE(lib.passage(cash[0].passage_id)->text.find("現金客戶"), std::string::npos);

  // FTS5 syntax in a question is taken literally, not as operators.
  EXPECT_NO_THROW(lib.search_bm25("\"NEAR(* OR AND -x: ^", 5));
  EXPECT_TRUE(lib.search_bm25("   ?! ", 5).empty());
  // Scores are ordered best first.
  for (size_t i = 1; i < murdock.size(); ++i) EXPECT_GE(murdock[i - 1].score, murdock[i].score);
  // Collection filter.
  EXPECT_EQ(lib.search_bm25("Murdock", 5, lib.collection("empty")).size(), 0u);
  const auto in_default = lib.search_bm25("Murdock", 5, lib.collection(Library::kDefaultCollection));
  ASSERT_FALSE(in_default.empty());
  EXPECT_EQ(in_default[0].passage_id, lib.search_bm25("Murdock", 5)[0].passage_id);
}

TEST_F(LibraryTest, NotALibraryFileErrorsByName) {
  const auto bad = dir_ / "notes.db";
  std::ofstream(bad) << "these are my notes, not a database, and they are long enough to matter.....";
  try {
    Library lib(bad);
    FAIL() << "opened a text file as a library";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("notes.db"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pgpp::rag
