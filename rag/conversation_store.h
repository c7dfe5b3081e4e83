#pragma once
// Questions asked and the answers given, per collection, kept in the library's own SQLite file
// so that a conversation outlives the window (an in-memory library keeps it in memory only).
//
// Each turn keeps the sources the answer was given, numbered as in the prompt, so that the
// citations of an old answer still open the right page. The tables are part of the library's
// schema (Library migrations, version 2) and belong to no document: removing a document leaves
// old answers readable (their sources simply lose their word boxes).
#include <cstdint>
#include <string>
#include <vector>

#include "rag/library.h"
#include "rag/retriever.h"

namespace pgpp::rag {

struct ConversationTurn {
  int64_t id = 0;
  std::string question;
  std::string answer;
  std::vector<RetrievedSource> sources;  // [1].. as the answer cites them
  int64_t created = 0;                   // Unix seconds
};

class ConversationStore {
 public:
  // Not owned; used from the library's thread.
  explicit ConversationStore(Library& library);

  int64_t add_turn(int64_t collection_id, const std::string& question, const std::string& answer,
                   const std::vector<RetrievedSource>& sources);
  // Oldest first.
  std::vector<ConversationTurn> turns(int64_t collection_id) const;
  void clear(int64_t collection_id);

 private:
  Library& library_;
};

}  // namespace pgpp::rag
