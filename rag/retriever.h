#pragma once
// The passages that answer a question: dense search (the encoder's embedding of the question in
// the VectorIndex) and BM25 (the library's FTS5), fused by reciprocal rank fusion
// (Cormack, Clarke & Büttcher 2009: score = sum over rankers of 1 / (k + rank), k = 60), which
// needs no score calibration between the two rankers.
//
// From the fused list the top passages are taken best first, with at most `per_document`
// groups from one document (a long manual must not crowd out the rest); a passage next to one
// already taken from the same document (ordinal +-1) joins it as one longer source, rebuilt from
// the stored page texts so the chunker's overlap is not repeated.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rag/library.h"

namespace pgpp::embed {
class Encoder;
}

namespace pgpp::rag {

class VectorIndex;

struct RetrieverOptions {
  int top_k = 6;             // sources returned
  int candidates = 40;       // taken from each ranker before fusion
  int rrf_k = 60;            // reciprocal rank fusion constant
  int per_document = 3;      // sources from one document (0: no cap)
  int max_group = 3;         // passages merged into one source
  double dense_weight = 1.0;  // weight of each ranker's 1 / (k + rank) in the fusion
  double bm25_weight = 1.0;
  // Leave function words ("which", "the", "der", "les") out of the BM25 query: in an OR query
  // they only add passages that share grammar with the question.
  bool bm25_drop_stop_words = true;
  // Passages of a document whose title or file name shares a word with the question get this
  // many ranker-firsts (weight / (k + 1)) added: "In GLPK, ..." points at the GLPK manual.
  double title_weight = 0;
  // Fused score of a table-of-contents passage (lines of dot leaders to page numbers) is
  // multiplied by this: it repeats the headings of the pages that hold the answer, so both
  // rankers like it, but it answers nothing. 1: no change; 0: never returned while others are.
  double contents_factor = 1.0;
  std::optional<int64_t> collection;  // only documents of this collection
  std::vector<int64_t> documents;     // only these documents (empty: all)
};

// One source: one passage or a run of adjacent passages of one document.
struct RetrievedSource {
  int64_t document_id = 0;
  std::string path;   // the document's file
  std::string title;
  std::vector<int64_t> passage_ids;  // in document order
  int ordinal_first = 0, ordinal_last = 0;
  int page_first = 0, page_last = 0;
  uint32_t begin = 0, end = 0;  // byte span as for Passage: begin in page_first, end in page_last
  std::string text;
  std::vector<PassageBox> boxes;
  double score = 0;    // fused score of its best passage
  int dense_rank = 0;  // 1-based rank of its best passage in each ranker, 0 = not found there
  int bm25_rank = 0;
};

class Retriever {
 public:
  // `index` must be built from `library` with `encoder`'s identity. None are owned.
  Retriever(const Library& library, embed::Encoder& encoder, VectorIndex& index);

  std::vector<RetrievedSource> retrieve(std::string_view question, const RetrieverOptions& options = {}) const;

 private:
  const Library& library_;
  embed::Encoder& encoder_;
  VectorIndex& index_;
};

}  // namespace pgpp::rag
