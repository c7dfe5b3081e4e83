#include "rag/conversation_store.h"

#include <gtest/gtest.h>

#include "tests/common/test_models.h"
#include "tests/rag/rag_fixture.h"

namespace pgpp::rag {
namespace {

// A turn stored with its sources comes back after the library is closed and opened again, its
// sources' word boxes read from the stored passages; turns of another collection stay apart.
TEST(ConversationStore, TurnsSurviveReopeningWithTheirSources) {
  const auto dir = test::make_temp_dir("conversations");
  const auto file = dir / "lib.db";
  std::vector<RetrievedSource> sources;
  int64_t work = 0;
  {
    Library lib(file);
    const auto p = test::prepare(test::test_pdf("project-history.en.pdf"));
    const AddResult added = test::add(lib, p);
    work = lib.collection("work");
    for (int64_t id : {int64_t{3}, int64_t{7}}) {
      const auto passage = lib.passage(id);
      ASSERT_TRUE(passage);
      RetrievedSource s;
      s.document_id = added.document_id;
      s.path = p.record.path;
      s.title = "A Brief History of Debian";
      s.passage_ids = {id};
      s.page_first = passage->page_first;
      s.page_last = passage->page_last;
      s.begin = passage->begin;
      s.end = passage->end;
      s.text = passage->text;
      s.score = 0.03;
      sources.push_back(s);
    }
    ConversationStore store(lib);
    store.add_turn(lib.collection(Library::kDefaultCollection), "Who founded Debian?", "Ian Murdock [1].", sources);
    store.add_turn(work, "When?", "In 1993 [2].", sources);
  }
  Library lib(file);
  ConversationStore store(lib);
  const auto turns = store.turns(work);
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0].question, "When?");
  EXPECT_EQ(turns[0].answer, "In 1993 [2].");
  ASSERT_EQ(turns[0].sources.size(), 2u);
  EXPECT_EQ(turns[0].sources[1].passage_ids, std::vector<int64_t>{7});
  EXPECT_EQ(turns[0].sources[1].page_first, sources[1].page_first);
  EXPECT_EQ(turns[0].sources[1].text, sources[1].text);
  EXPECT_FALSE(turns[0].sources[1].boxes.empty());
  EXPECT_EQ(store.turns(lib.collection(Library::kDefaultCollection)).size(), 1u);

  store.clear(work);
  EXPECT_TRUE(store.turns(work).empty());
  EXPECT_EQ(store.turns(lib.collection(Library::kDefaultCollection)).size(), 1u);
  std::filesystem::remove_all(dir);
}

int conversation_tables(Library& lib) {
  return static_cast<int>(lib.db()
                              .query_int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                                         "('conversation_turns', 'conversation_sources')")
                              .value_or(0));
}

// The conversation tables come with the library's schema (version 2). A version-1 library is
// brought up to date when opened: without the tables (they were made on first use), or with
// them and its turns, which stay.
TEST(ConversationStore, TablesComeWithTheSchemaAndVersionOneLibrariesAreMigrated) {
  const auto dir = test::make_temp_dir("conversations-migrate");
  const auto file = dir / "lib.db";
  {
    Library lib(file);
    EXPECT_EQ(lib.schema_version(), 2);
    EXPECT_EQ(conversation_tables(lib), 2);
    // Back to version 1 as a library that never showed a conversation.
    lib.db().exec("DROP TABLE conversation_sources; DROP TABLE conversation_turns; PRAGMA user_version = 1");
  }
  {
    Library lib(file);
    EXPECT_EQ(lib.schema_version(), 2);
    EXPECT_EQ(conversation_tables(lib), 2);
    ConversationStore store(lib);
    store.add_turn(lib.collection(Library::kDefaultCollection), "Kept?", "Yes.", {});
    // Back to version 1 as a library whose conversation was stored before the migration existed.
    lib.db().exec("PRAGMA user_version = 1");
  }
  Library lib(file);
  EXPECT_EQ(lib.schema_version(), 2);
  ConversationStore store(lib);
  const auto turns = store.turns(lib.collection(Library::kDefaultCollection));
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0].question, "Kept?");
  EXPECT_EQ(turns[0].answer, "Yes.");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgpp::rag
