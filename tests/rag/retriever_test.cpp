// Retrieval on real PDFs with the real encoder: questions whose answer is on a known page of a
// test PDF find that page in the top 5; filters, per-document cap and merging hold.
#include "rag/retriever.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/rag/ingested_library.h"

namespace pgpp::rag {
namespace {

using test::IngestedLibrary;

bool page_in_top(const std::vector<RetrievedSource>& sources, const std::string& file, int page, int k) {
  for (int i = 0; i < std::min<int>(k, static_cast<int>(sources.size())); ++i) {
    const auto& s = sources[static_cast<std::size_t>(i)];
    if (std::filesystem::path(s.path).filename() == file && page >= s.page_first && page <= s.page_last) return true;
  }
  return false;
}

std::string describe(const std::vector<RetrievedSource>& sources) {
  std::string out;
  for (const auto& s : sources) {
    out += std::filesystem::path(s.path).filename().string() + " p" + std::to_string(s.page_first) + "-" +
           std::to_string(s.page_last) + " dense#" + std::to_string(s.dense_rank) + " bm25#" +
           std::to_string(s.bm25_rank) + "\n";
  }
  return out;
}

TEST(Retriever, KnownPagesInTopFiveAcrossTwoDocuments) {
  IngestedLibrary lib({"R-data.pdf", "project-history.en.pdf"});
  ASSERT_EQ(lib.report.count(IngestFileResult::Status::kAdded), 2);
  Retriever retriever(lib.library, lib.encoder, *lib.index);

  // Physical page numbers (the PDF's 1-based page index), checked against the text with pdftotext.
  struct Case {
    const char* question;
    const char* file;
    int page;
  } cases[] = {
      {"Which function creates a connection to a file compressed with bzip2?", "R-data.pdf", 30},
      {"How can I find out how a text file is encoded before importing it into R?", "R-data.pdf", 8},
      {"In the repeated MRI brain measurement sample data, what are the values for the subject whose status is P?",
       "R-data.pdf", 16},
  };
  for (const auto& c : cases) {
    const auto sources = retriever.retrieve(c.question);
    EXPECT_TRUE(page_in_top(sources, c.file, c.page, 5)) << c.question << "\n" << describe(sources);
  }

  // Structure of a result: default top 6, at most 3 sources from one document, sources of one
  // document never adjacent or overlapping (they would have been merged), text = stored span.
  const auto sources = retriever.retrieve("reading data from spreadsheets and databases");
  ASSERT_EQ(sources.size(), 6u) << describe(sources);
  std::map<int64_t, std::vector<const RetrievedSource*>> by_doc;
  for (const auto& s : sources) {
    by_doc[s.document_id].push_back(&s);
    EXPECT_FALSE(s.text.empty());
    EXPECT_LE(s.page_first, s.page_last);
    ASSERT_FALSE(s.passage_ids.empty());
    EXPECT_EQ(static_cast<int>(s.passage_ids.size()), s.ordinal_last - s.ordinal_first + 1);
    for (int64_t id : s.passage_ids) {
      const auto p = lib.library.passage(id);
      ASSERT_TRUE(p);
      EXPECT_EQ(p->document_id, s.document_id);
      // Every merged passage's text is inside the source's text.
      EXPECT_NE(s.text.find(p->text.substr(0, 40)), std::string::npos);
    }
  }
  for (const auto& [doc, list] : by_doc) {
    EXPECT_LE(list.size(), 3u);
    for (std::size_t i = 0; i < list.size(); ++i) {
      for (std::size_t j = i + 1; j < list.size(); ++j) {
        EXPECT_TRUE(list[i]->ordinal_last + 1 < list[j]->ordinal_first || list[j]->ordinal_last + 1 < list[i]->ordinal_first);
      }
    }
  }

  // The document filter keeps only that document; an uncapped query may take more from one.
  RetrieverOptions only_history;
  only_history.documents = {lib.document_id("project-history.en.pdf")};
  for (const auto& s : retriever.retrieve("Which function creates a connection to a bzip2 file?", only_history)) {
    EXPECT_EQ(std::filesystem::path(s.path).filename(), "project-history.en.pdf");
  }
  RetrieverOptions uncapped;
  uncapped.per_document = 0;
  uncapped.top_k = 8;
  std::map<int64_t, int> counts;
  for (const auto& s : retriever.retrieve("R data import export read.table scan", uncapped)) ++counts[s.document_id];
  EXPECT_GT(counts[lib.document_id("R-data.pdf")], 3);

  // A collection filter: a collection nobody was added to finds nothing.
  RetrieverOptions empty_collection;
  empty_collection.collection = lib.library.collection("empty");
  EXPECT_TRUE(retriever.retrieve("bzip2", empty_collection).empty());
}

}  // namespace
}  // namespace pgpp::rag
