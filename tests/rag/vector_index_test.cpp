#include "rag/vector_index.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>

#include "tests/common/test_models.h"
#include "tests/rag/rag_fixture.h"

namespace pgpp::rag {
namespace {

using test::prepare;

class VectorIndexTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir("vectors"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// Each passage, searched with its own embedding, comes back first (among passages whose text is
// unique, since equal texts have equal vectors).
void expect_finds_itself(const Library& lib, const VectorIndex& index, int max_checks) {
  std::map<std::vector<float>, int> seen;
  std::vector<std::pair<int64_t, std::vector<float>>> all;
  lib.for_each_embedding("test-hash-64", [&](int64_t id, std::span<const float> v) {
    std::vector<float> x(v.begin(), v.end());
    ++seen[x];
    all.emplace_back(id, std::move(x));
  });
  int checked = 0;
  for (size_t i = 0; i < all.size() && checked < max_checks; i += 3) {
    if (seen[all[i].second] != 1) continue;
    const auto hits = index.search(all[i].second, 5);
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0].passage_id, all[i].first);
    EXPECT_NEAR(hits[0].score, 1.0f, 1e-3f);
    for (size_t k = 1; k < hits.size(); ++k) EXPECT_LE(hits[k].score, hits[k - 1].score + 1e-6f);
    ++checked;
  }
  EXPECT_GT(checked, 5);
}

TEST_F(VectorIndexTest, ExactSearchReturnsTheNearestStoredVector) {
  Library lib(dir_ / "lib.db");
  test::add(lib, prepare(test::test_pdf("project-history.en.pdf")));
  test::add(lib, prepare(test::test_pdf("project-history.ru.pdf")));
  const VectorIndex index(lib, "test-hash-64");
  EXPECT_EQ(index.origin(), IndexOrigin::kBuiltMissing);
  EXPECT_FALSE(index.is_hnsw());
  EXPECT_EQ(index.size(), lib.embedding_count("test-hash-64"));
  EXPECT_EQ(index.dim(), test::kTestDim);
  expect_finds_itself(lib, index, 40);
  // A question's vector finds the passage about it.
  const auto hits = index.search(test::hashed_embedding("Ian Murdock founded the Debian project"), 3);
  ASSERT_EQ(hits.size(), 3u);
  struct stat st {};
  ASSERT_EQ(::stat(VectorIndex::file_for(lib).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(VectorIndexTest, HnswAboveTheThresholdFindsTheSame) {
  Library lib(":memory:");
  test::add(lib, prepare(test::test_pdf("project-history.en.pdf")));
  VectorIndex index(lib, "test-hash-64", {.hnsw_threshold = 10});
  EXPECT_TRUE(index.is_hnsw());
  EXPECT_EQ(index.origin(), IndexOrigin::kInMemory);
  expect_finds_itself(lib, index, 20);
  // New passages are added to the HNSW graph in place.
  test::add(lib, prepare(test::test_pdf("project-history.ru.pdf")));
  EXPECT_TRUE(index.refresh(lib));
  EXPECT_EQ(index.origin_reason(), "passages added");
  EXPECT_TRUE(index.is_hnsw());
  EXPECT_EQ(index.size(), lib.embedding_count("test-hash-64"));
  expect_finds_itself(lib, index, 40);
}

TEST_F(VectorIndexTest, LoadedWhenFreshRebuiltWhenMissingOrUnreadable) {
  Library lib(dir_ / "lib.db");
  test::add(lib, prepare(test::test_pdf("project-history.en.pdf")));
  const auto file = VectorIndex::file_for(lib);
  int64_t size = 0;
  {
    const VectorIndex index(lib, "test-hash-64");
    EXPECT_EQ(index.origin(), IndexOrigin::kBuiltMissing);
    size = index.size();
  }
  {
    const VectorIndex index(lib, "test-hash-64");
    EXPECT_EQ(index.origin(), IndexOrigin::kLoaded) << index.origin_reason();
    EXPECT_EQ(index.size(), size);
    expect_finds_itself(lib, index, 10);
  }
  std::filesystem::remove(file);
  {
    const VectorIndex index(lib, "test-hash-64");
    EXPECT_EQ(index.origin(), IndexOrigin::kBuiltMissing);
    expect_finds_itself(lib, index, 10);
  }
  // Cut in the middle of the FAISS data.
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  {
    const VectorIndex index(lib, "test-hash-64");
    EXPECT_EQ(index.origin(), IndexOrigin::kRebuiltUnreadable) << index.origin_reason();
    expect_finds_itself(lib, index, 10);
  }
  // One byte flipped inside the FAISS data, size unchanged.
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(file) - 100));
    f.put('\x7f');
  }
  {
    const VectorIndex index(lib, "test-hash-64");
    EXPECT_EQ(index.origin(), IndexOrigin::kRebuiltUnreadable) << index.origin_reason();
    expect_finds_itself(lib, index, 10);
  }
  std::ofstream(file, std::ios::trunc) << "garbage";
  {
    const VectorIndex index(lib, "test-hash-64");
    EXPECT_EQ(index.origin(), IndexOrigin::kRebuiltUnreadable) << index.origin_reason();
    EXPECT_EQ(index.size(), size);
  }
  EXPECT_EQ(VectorIndex(lib, "test-hash-64").origin(), IndexOrigin::kLoaded);
}

TEST_F(VectorIndexTest, AddedPassagesCatchUpRemovalsAndOtherEncodersRebuild) {
  Library lib(dir_ / "lib.db");
  const AddResult en = test::add(lib, prepare(test::test_pdf("project-history.en.pdf")));
  int64_t before = 0;
  {
    const VectorIndex index(lib, "test-hash-64");
    before = index.size();
  }
  // A document added since the index was saved: its vectors are added, nothing rebuilt.
  const AddResult ru = test::add(lib, prepare(test::test_pdf("project-history.ru.pdf")));
  {
    VectorIndex index(lib, "test-hash-64");
    EXPECT_EQ(index.origin(), IndexOrigin::kUpdated) << index.origin_reason();
    EXPECT_EQ(index.size(), lib.embedding_count("test-hash-64"));
    EXPECT_GT(index.size(), before);
    expect_finds_itself(lib, index, 40);
    EXPECT_FALSE(index.refresh(lib));
  }
  EXPECT_EQ(VectorIndex(lib, "test-hash-64").origin(), IndexOrigin::kLoaded);
  // A removal while no index is open: the saved index is stale.
  ASSERT_TRUE(lib.remove_document(ru.document_id));
  {
    VectorIndex index(lib, "test-hash-64");
    EXPECT_EQ(index.origin(), IndexOrigin::kRebuiltStale);
    EXPECT_NE(index.origin_reason().find("removed"), std::string::npos) << index.origin_reason();
    EXPECT_EQ(index.size(), before);
    for (const auto& h : index.search(test::hashed_embedding("Debian"), 50)) {
      EXPECT_EQ(lib.passage(h.passage_id)->document_id, en.document_id);
    }
    // refresh() after add then remove, with the index open.
    const AddResult ru2 = test::add(lib, prepare(test::test_pdf("project-history.ru.pdf")));
    EXPECT_TRUE(index.refresh(lib));
    EXPECT_EQ(index.origin(), IndexOrigin::kUpdated);
    EXPECT_GT(index.size(), before);
    ASSERT_TRUE(lib.remove_document(ru2.document_id));
    EXPECT_TRUE(index.refresh(lib));
    EXPECT_EQ(index.origin(), IndexOrigin::kRebuiltStale);
    EXPECT_EQ(index.size(), before);
  }
  EXPECT_EQ(VectorIndex(lib, "test-hash-64").origin(), IndexOrigin::kLoaded);
  // Another encoder's index file is stale for this one (and this encoder has no vectors yet).
  const VectorIndex other(lib, "another-encoder");
  EXPECT_EQ(other.origin(), IndexOrigin::kRebuiltStale);
  EXPECT_NE(other.origin_reason().find("encoder"), std::string::npos) << other.origin_reason();
  EXPECT_EQ(other.size(), 0);
  EXPECT_TRUE(other.search(std::vector<float>(test::kTestDim, 1.0f), 5).empty());
}

TEST_F(VectorIndexTest, CaughtUpIndexAnswersLikeAFreshOne) {
  Library lib(dir_ / "lib.db");
  test::add(lib, prepare(test::test_pdf("project-history.en.pdf")));
  { const VectorIndex index(lib, "test-hash-64"); }
  test::add(lib, prepare(test::test_pdf("project-history.ru.pdf")));
  const VectorIndex updated(lib, "test-hash-64");
  ASSERT_EQ(updated.origin(), IndexOrigin::kUpdated);
  std::filesystem::remove(VectorIndex::file_for(lib));
  const VectorIndex fresh(lib, "test-hash-64");
  ASSERT_EQ(fresh.origin(), IndexOrigin::kBuiltMissing);
  ASSERT_EQ(updated.size(), fresh.size());
  for (const char* q : {"Debian history", "Ian Murdock", "проект Debian", "release names Toy Story"}) {
    const auto a = updated.search(test::hashed_embedding(q), 5);
    const auto b = fresh.search(test::hashed_embedding(q), 5);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i].score, b[i].score, 1e-5f) << q;
  }
}

}  // namespace
}  // namespace pgpp::rag
