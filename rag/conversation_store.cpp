#include "rag/conversation_store.h"

#include <ctime>
#include <sstream>

#include "rag/sqlite_db.h"

namespace pgpp::rag {

namespace {

std::string join_ids(const std::vector<int64_t>& ids) {
  std::string out;
  for (auto id : ids) {
    if (!out.empty()) out += ' ';
    out += std::to_string(id);
  }
  return out;
}

std::vector<int64_t> split_ids(const std::string& s) {
  std::vector<int64_t> ids;
  std::istringstream in(s);
  int64_t id = 0;
  while (in >> id) ids.push_back(id);
  return ids;
}

}  // namespace

// The tables are made by the library's schema migrations (version 2).
ConversationStore::ConversationStore(Library& library) : library_(library) {}

int64_t ConversationStore::add_turn(int64_t collection_id, const std::string& question,
                                    const std::string& answer,
                                    const std::vector<RetrievedSource>& sources) {
  auto& db = library_.db();
  SqliteTransaction tx(db);
  SqliteStatement turn(
      db,
      "INSERT INTO conversation_turns(collection_id, question, answer, created) VALUES(?,?,?,?)");
  turn.bind(1, collection_id)
      .bind(2, question)
      .bind(3, answer)
      .bind(4, static_cast<int64_t>(std::time(nullptr)))
      .run();
  const int64_t id = db.last_insert_id();
  SqliteStatement src(
      db,
      "INSERT INTO conversation_sources(turn_id, number, document_id, path, title, passage_ids, "
      "page_first, page_last, span_begin, span_end, score, text) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const auto& s = sources[i];
    src.reset();
    src.bind(1, id)
        .bind(2, static_cast<int64_t>(i + 1))
        .bind(3, s.document_id)
        .bind(4, s.path)
        .bind(5, s.title)
        .bind(6, join_ids(s.passage_ids))
        .bind(7, static_cast<int64_t>(s.page_first))
        .bind(8, static_cast<int64_t>(s.page_last))
        .bind(9, static_cast<int64_t>(s.begin))
        .bind(10, static_cast<int64_t>(s.end))
        .bind(11, s.score)
        .bind(12, s.text)
        .run();
  }
  tx.commit();
  return id;
}

std::vector<ConversationTurn> ConversationStore::turns(int64_t collection_id) const {
  auto& db = library_.db();
  std::vector<ConversationTurn> out;
  SqliteStatement st(db,
                     "SELECT id, question, answer, created FROM conversation_turns WHERE "
                     "collection_id = ? ORDER BY id");
  st.bind(1, collection_id);
  while (st.step()) out.push_back({st.int64(0), st.text(1), st.text(2), {}, st.int64(3)});
  SqliteStatement src(
      db,
      "SELECT document_id, path, title, passage_ids, page_first, page_last, span_begin, span_end, "
      "score, text FROM conversation_sources WHERE turn_id = ? ORDER BY number");
  for (auto& t : out) {
    src.reset();
    src.bind(1, t.id);
    while (src.step()) {
      RetrievedSource s;
      s.document_id = src.int64(0);
      s.path = src.text(1);
      s.title = src.text(2);
      s.passage_ids = split_ids(src.text(3));
      s.page_first = static_cast<int>(src.int64(4));
      s.page_last = static_cast<int>(src.int64(5));
      s.begin = static_cast<uint32_t>(src.int64(6));
      s.end = static_cast<uint32_t>(src.int64(7));
      s.score = src.real(8);
      s.text = src.text(9);
      // Word boxes come from the passages while they are still stored.
      for (auto pid : s.passage_ids) {
        if (auto p = library_.passage(pid))
          s.boxes.insert(s.boxes.end(), p->boxes.begin(), p->boxes.end());
      }
      t.sources.push_back(std::move(s));
    }
  }
  return out;
}

void ConversationStore::clear(int64_t collection_id) {
  auto& db = library_.db();
  SqliteTransaction tx(db);
  SqliteStatement del_src(db,
                          "DELETE FROM conversation_sources WHERE turn_id IN "
                          "(SELECT id FROM conversation_turns WHERE collection_id = ?)");
  del_src.bind(1, collection_id).run();
  SqliteStatement del(db, "DELETE FROM conversation_turns WHERE collection_id = ?");
  del.bind(1, collection_id).run();
  tx.commit();
}

}  // namespace pgpp::rag
