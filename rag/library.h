#pragma once
// The library: the source of truth for documents, pages, passages, full-text index and
// embeddings, in one SQLite file (WAL, created 0600) or in memory (":memory:", writes nothing).
//
// A document's content (sha256) is its identity: the same file added twice is stored once. A
// document goes in with ONE transaction: if anything fails or is cancelled half-way (or the
// process dies), the library is as it was before that document. Re-adding a path whose content
// changed replaces the old version in the same transaction.
//
// Full text: FTS5 over passage text (unicode61, diacritics folded) plus a column of overlapping
// character bigrams for scripts written without spaces (Chinese, Japanese, Thai) and for Hangul
// (whose spaces PDFs often lose) — the Lucene CJK analyser's approach — so that a Chinese word
// matches inside a sentence.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rag/chunker.h"
#include "rag/pdf_reader.h"

namespace pgpp::rag {

class SqliteDb;

// Facts about a source file, as stored.
struct DocumentRecord {
  std::string path;    // absolute
  std::string sha256;  // of the file's bytes
  std::string title;
  int pages = 0;
  int64_t size = 0;
  int64_t mtime = 0;  // Unix seconds
  // "ok"; "partial" (some pages not searchable); "not-searchable" (no usable text at all).
  std::string status = "ok";
  std::vector<std::string> reasons;  // the reader's warnings, for a person
};

struct DocumentInfo : DocumentRecord {
  int64_t id = 0;
  int64_t added = 0;  // Unix seconds
  int passages = 0;
};

// Reads size, mtime and sha256 of the file, and title, pages, status and reasons from the PDF.
DocumentRecord describe_document(const std::filesystem::path& path, const PdfDocument& pdf);

// One embedding per passage, in passage order.
struct Embeddings {
  std::string encoder;  // the encoder's identity string; vectors of different encoders never mix
  int dim = 0;
  std::vector<float> values;  // passages x dim
};

struct StoredPassage {
  int64_t id = 0;
  int64_t document_id = 0;
  int ordinal = 0;
  int page_first = 0, page_last = 0;
  uint32_t begin = 0, end = 0;
  int tokens = 0;
  std::string text;
  std::vector<PassageBox> boxes;
};

struct SearchHit {
  int64_t passage_id = 0;
  double score = 0;  // higher is better
};

struct AddResult {
  enum class Outcome { kAdded, kUnchanged, kReplaced };
  int64_t document_id = 0;
  Outcome outcome = Outcome::kAdded;
};

// Called after each passage is written, with (done, total). May throw (pgpp::Cancelled) to
// abandon the document: the transaction rolls back.
using AddProgress = std::function<void(int done, int total)>;

// One Library object is used by one thread at a time. A reader on another thread (the GUI while
// a worker ingests) opens its own Library on the same file: WAL lets it read while the writer
// writes, and it sees each document whole or not at all.
class Library {
 public:
  static constexpr int kSchemaVersion = 2;
  static constexpr const char* kDefaultCollection = "default";

  // A file path (created with mode 0600 when new, parent folders included) or ":memory:".
  explicit Library(const std::filesystem::path& path);
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  bool in_memory() const { return in_memory_; }
  const std::filesystem::path& path() const { return path_; }
  int schema_version() const;

  // Collections: named sets of documents; a document may be in several.
  int64_t collection(const std::string& name);  // created when missing
  std::vector<std::string> collections() const;

  std::optional<DocumentInfo> document(int64_t id) const;
  std::optional<DocumentInfo> document_by_sha256(const std::string& sha256) const;
  std::optional<DocumentInfo> document_by_path(const std::string& path) const;
  std::vector<DocumentInfo> documents(std::optional<int64_t> collection = std::nullopt) const;

  // Adds (or links, when its content is already stored) a document with its pages, passages and
  // embeddings, in one transaction. `embeddings` may be empty (dim 0).
  AddResult add_document(const DocumentRecord& record, const PdfDocument& pdf, const ChunkedDocument& chunks,
                         const Embeddings& embeddings, int64_t collection_id, const AddProgress& progress = {});
  // Removes the document, its pages, passages, full-text rows and embeddings. False if absent.
  bool remove_document(int64_t id);

  // Stores (or replaces) embeddings of existing passages for an encoder, e.g. after a change of
  // encoder. ids.size() * dim == values.size().
  void store_embeddings(const std::string& encoder, int dim, std::span<const int64_t> ids,
                        std::span<const float> values);
  int64_t embedding_count(const std::string& encoder) const;
  int embedding_dim(const std::string& encoder) const;  // 0 when none
  // Calls fn(passage id, vector) for every stored embedding of the encoder, in id order.
  // after_id > 0: only passages with larger ids (ids only grow: those added since).
  void for_each_embedding(const std::string& encoder,
                          const std::function<void(int64_t, std::span<const float>)>& fn,
                          int64_t after_id = 0) const;

  // Bumped by every change to passages or embeddings: a derived index built at another
  // generation is stale.
  int64_t generation() const;
  // Bumped by changes that remove or replace stored vectors (remove, replace, store_embeddings):
  // an index built at another value must be rebuilt; otherwise adding the new ids catches up.
  int64_t removals() const;

  std::optional<StoredPassage> passage(int64_t id) const;
  std::string page_text(int64_t document_id, int page) const;  // normalized; passages' spans index it
  int64_t passage_count() const;

  // BM25 over the passages' text (best first). The query is plain words; quotes and operators
  // are taken literally.
  std::vector<SearchHit> search_bm25(std::string_view query, int k,
                                     std::optional<int64_t> collection = std::nullopt) const;

  SqliteDb& db() const { return *db_; }

 private:
  void migrate();
  void bump_generation(bool removes = false);
  void delete_document_rows(int64_t id);

  std::filesystem::path path_;
  bool in_memory_ = false;
  std::unique_ptr<SqliteDb> db_;
};

// The bigram terms indexed for runs of bigram scripts in text ("中文文本" -> "中文 文文 文本");
// empty when the text has none.
std::string unspaced_bigrams(std::string_view text);

}  // namespace pgpp::rag
