#include "rag/library.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "kernels/error.h"
#include "kernels/float16.h"
#include "embed/sha256.h"
#include "rag/sqlite_db.h"
#include "rag/text_normalizer.h"

namespace pgpp::rag {

namespace {

// Migrations: kMigrations[v] takes a library from user_version v to v + 1. Append, never edit.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta(key, value) VALUES ('generation', '0'), ('removals', '0');
CREATE TABLE collections(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL);
-- AUTOINCREMENT: ids of removed documents and passages are never reused, so an id held by a
-- caller (or a stale index) can never name a different passage.
CREATE TABLE documents(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sha256 TEXT NOT NULL UNIQUE,
  path TEXT NOT NULL,
  title TEXT NOT NULL,
  pages INTEGER NOT NULL,
  size INTEGER NOT NULL,
  mtime INTEGER NOT NULL,
  status TEXT NOT NULL,
  reasons TEXT NOT NULL,
  added INTEGER NOT NULL);
CREATE INDEX documents_path ON documents(path);
CREATE TABLE collection_documents(
  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  PRIMARY KEY (collection_id, document_id)) WITHOUT ROWID;
CREATE INDEX collection_documents_document ON collection_documents(document_id);
CREATE TABLE pages(
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  status TEXT NOT NULL,
  width REAL NOT NULL,
  height REAL NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (document_id, number)) WITHOUT ROWID;
-- boxes: packed little-endian records {int32 page; float32 x0, y0, x1, y1} (20 bytes each).
CREATE TABLE passages(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  page_first INTEGER NOT NULL,
  page_last INTEGER NOT NULL,
  span_begin INTEGER NOT NULL,
  span_end INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  text TEXT NOT NULL,
  cjk_terms TEXT NOT NULL,
  boxes BLOB NOT NULL);
CREATE INDEX passages_document ON passages(document_id, ordinal);
CREATE VIRTUAL TABLE passages_fts USING fts5(
  text, cjk_terms, content='passages', content_rowid='id',
  tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN
  INSERT INTO passages_fts(rowid, text, cjk_terms) VALUES (new.id, new.text, new.cjk_terms);
END;
CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN
  INSERT INTO passages_fts(passages_fts, rowid, text, cjk_terms) VALUES ('delete', old.id, old.text, old.cjk_terms);
END;
-- vector: IEEE half floats, dim * 2 bytes, little-endian.
CREATE TABLE embeddings(
  passage_id INTEGER NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
  encoder TEXT NOT NULL,
  dim INTEGER NOT NULL,
  vector BLOB NOT NULL,
  PRIMARY KEY (encoder, passage_id)) WITHOUT ROWID;
CREATE INDEX embeddings_passage ON embeddings(passage_id);
)sql",
    // 1 -> 2: the conversation (questions and answers with their numbered sources, per collection).
    // Version-1 libraries may already hold these tables (ConversationStore used to create them on
    // first use), hence IF NOT EXISTS.
    R"sql(
CREATE TABLE IF NOT EXISTS conversation_turns(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_id INTEGER NOT NULL,
  question TEXT NOT NULL,
  answer TEXT NOT NULL,
  created INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS conversation_turns_collection ON conversation_turns(collection_id, id);
CREATE TABLE IF NOT EXISTS conversation_sources(
  turn_id INTEGER NOT NULL REFERENCES conversation_turns(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  document_id INTEGER NOT NULL,
  path TEXT NOT NULL,
  title TEXT NOT NULL,
  passage_ids TEXT NOT NULL,
  page_first INTEGER NOT NULL, page_last INTEGER NOT NULL,
  span_begin INTEGER NOT NULL, span_end INTEGER NOT NULL,
  score REAL NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY(turn_id, number));
)sql",
};
constexpr int kMigrationCount = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));
static_assert(kMigrationCount == Library::kSchemaVersion);

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string join_lines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "\n") + x;
  return s;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t j = std::min(s.find('\n', i), s.size());
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

constexpr size_t kBoxBytes = 20;

std::vector<unsigned char> pack_boxes(const std::vector<PassageBox>& boxes) {
  std::vector<unsigned char> out(boxes.size() * kBoxBytes);
  for (size_t i = 0; i < boxes.size(); ++i) {
    const int32_t page = boxes[i].page;
    const float v[4] = {boxes[i].box.x0, boxes[i].box.y0, boxes[i].box.x1, boxes[i].box.y1};
    std::memcpy(out.data() + i * kBoxBytes, &page, 4);
    std::memcpy(out.data() + i * kBoxBytes + 4, v, 16);
  }
  return out;
}

std::vector<PassageBox> unpack_boxes(const void* data, size_t n) {
  std::vector<PassageBox> out(n / kBoxBytes);
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < out.size(); ++i) {
    int32_t page;
    float v[4];
    std::memcpy(&page, p + i * kBoxBytes, 4);
    std::memcpy(v, p + i * kBoxBytes + 4, 16);
    out[i] = {page, {v[0], v[1], v[2], v[3]}};
  }
  return out;
}

// Terms of a query: words of spaced scripts, and bigrams of unspaced runs.
struct QueryTerms {
  std::vector<std::string> words;
  std::vector<std::string> bigrams;
};

// Scripts indexed as character bigrams: those written without spaces, and Hangul, which is
// written with spaces but whose spaces PDFs often lose (a whole line then reads as one word).
bool is_bigram_script(UChar32 c) {
  if (is_unspaced_script(static_cast<char32_t>(c))) return true;
  UErrorCode err = U_ZERO_ERROR;
  return uscript_getScript(c, &err) == USCRIPT_HANGUL;
}

void unspaced_runs(std::string_view text, const std::function<void(const std::vector<std::string>&)>& fn) {
  std::vector<std::string> run;
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const auto n = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < n;) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c >= 0 && u_isalnum(c) && is_bigram_script(c)) {
      run.emplace_back(text.substr(static_cast<size_t>(start), static_cast<size_t>(i - start)));
    } else if (!run.empty()) {
      fn(run);
      run.clear();
    }
  }
  if (!run.empty()) fn(run);
}

QueryTerms query_terms(std::string_view q) {
  QueryTerms t;
  std::string word;
  const auto* s = reinterpret_cast<const uint8_t*>(q.data());
  const auto n = static_cast<int32_t>(q.size());
  for (int32_t i = 0; i < n;) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, n, c);
    const bool wordish = c >= 0 && (u_isalnum(c) || u_getIntPropertyValue(c, UCHAR_GENERAL_CATEGORY) == U_NON_SPACING_MARK);
    if (wordish && !is_bigram_script(c)) {
      word.append(q.substr(static_cast<size_t>(start), static_cast<size_t>(i - start)));
    } else if (!word.empty()) {
      t.words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) t.words.push_back(std::move(word));
  unspaced_runs(q, [&](const std::vector<std::string>& run) {
    if (run.size() == 1) t.bigrams.push_back(run[0]);
    for (size_t k = 0; k + 1 < run.size(); ++k) t.bigrams.push_back(run[k] + run[k + 1]);
  });
  return t;
}

std::string quoted(const std::string& term) {
  std::string q = "\"";
  for (char c : term) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

DocumentInfo read_document(const SqliteStatement& st) {
  DocumentInfo d;
  d.id = st.int64(0);
  d.sha256 = st.text(1);
  d.path = st.text(2);
  d.title = st.text(3);
  d.pages = static_cast<int>(st.int64(4));
  d.size = st.int64(5);
  d.mtime = st.int64(6);
  d.status = st.text(7);
  d.reasons = split_lines(st.text(8));
  d.added = st.int64(9);
  d.passages = static_cast<int>(st.int64(10));
  return d;
}

constexpr const char* kDocumentColumns =
    "SELECT d.id, d.sha256, d.path, d.title, d.pages, d.size, d.mtime, d.status, d.reasons, d.added, "
    "(SELECT count(*) FROM passages p WHERE p.document_id = d.id) FROM documents d ";

}  // namespace

std::string unspaced_bigrams(std::string_view text) {
  std::string out;
  unspaced_runs(text, [&](const std::vector<std::string>& run) {
    if (run.size() == 1) {
      out += (out.empty() ? "" : " ") + run[0];
      return;
    }
    for (size_t k = 0; k + 1 < run.size(); ++k) out += (out.empty() ? "" : " ") + run[k] + run[k + 1];
  });
  return out;
}

DocumentRecord describe_document(const std::filesystem::path& path, const PdfDocument& pdf) {
  DocumentRecord r;
  std::error_code ec;
  const auto abs = std::filesystem::absolute(path, ec);
  r.path = (ec ? path : abs).lexically_normal().string();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(path.filename().string() + ": cannot stat the file");
  r.size = static_cast<int64_t>(st.st_size);
  r.mtime = static_cast<int64_t>(st.st_mtime);
  r.sha256 = embed::sha256_file_hex(path);
  r.title = pdf.title;
  r.pages = static_cast<int>(pdf.pages.size());
  const int text = pdf.count_pages(PageStatus::kText);
  const int lost = pdf.count_pages(PageStatus::kImageOnly) + pdf.count_pages(PageStatus::kGarbage);
  r.status = text == 0 ? "not-searchable" : lost > 0 ? "partial" : "ok";
  r.reasons = pdf.warnings;
  return r;
}

Library::Library(const std::filesystem::path& path) : path_(path), in_memory_(path == ":memory:") {
  if (!in_memory_) {
    const std::string name = path.filename().string();
    if (path.has_parent_path() && !std::filesystem::exists(path.parent_path())) {
      std::error_code ec;
      std::filesystem::create_directories(path.parent_path(), ec);
      if (ec) throw Error(name + ": cannot create its folder " + path.parent_path().string() + " (" + ec.message() + ")");
      std::filesystem::permissions(path.parent_path(), std::filesystem::perms::owner_all, ec);  // 0700
    }
    // Created by us with 0600 before SQLite opens it: SQLite gives its -wal and -shm files the
    // database file's permissions. A person's documents are nobody else's business.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw Error(name + ": cannot create or open the library (" + std::strerror(errno) + ")");
    ::close(fd);
  }
  db_ = std::make_unique<SqliteDb>(in_memory_ ? std::string(":memory:") : path.string());
  try {
    db_->exec("PRAGMA busy_timeout = 5000");
    if (!in_memory_) {
      db_->exec("PRAGMA journal_mode = WAL");
      db_->exec("PRAGMA synchronous = NORMAL");
    }
    db_->exec("PRAGMA foreign_keys = ON");
    migrate();
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + (in_memory_ ? "" : " — is it a PrivateGPT++ library?"));
  }
}

Library::~Library() = default;

void Library::migrate() {
  const int version = schema_version();
  if (version > kSchemaVersion) {
    throw Error(db_->name() + ": library schema version " + std::to_string(version) +
                " is newer than this program understands (" + std::to_string(kSchemaVersion) + "): update PrivateGPT++");
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    SqliteTransaction tx(*db_);
    db_->exec(kMigrations[v]);
    db_->exec("PRAGMA user_version = " + std::to_string(v + 1));
    tx.commit();
  }
}

int Library::schema_version() const { return static_cast<int>(db_->query_int("PRAGMA user_version").value_or(0)); }

int64_t Library::collection(const std::string& name) {
  SqliteStatement find(*db_, "SELECT id FROM collections WHERE name = ?");
  find.bind(1, name);
  if (find.step()) return find.int64(0);
  SqliteStatement ins(*db_, "INSERT INTO collections(name, created) VALUES (?, ?)");
  ins.bind(1, name).bind(2, now_seconds()).run();
  return db_->last_insert_id();
}

std::vector<std::string> Library::collections() const {
  SqliteStatement st(*db_, "SELECT name FROM collections ORDER BY name");
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.text(0));
  return out;
}

std::optional<DocumentInfo> Library::document(int64_t id) const {
  SqliteStatement st(*db_, std::string(kDocumentColumns) + "WHERE d.id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_document(st);
}

std::optional<DocumentInfo> Library::document_by_sha256(const std::string& sha256) const {
  SqliteStatement st(*db_, std::string(kDocumentColumns) + "WHERE d.sha256 = ?");
  st.bind(1, sha256);
  if (!st.step()) return std::nullopt;
  return read_document(st);
}

std::optional<DocumentInfo> Library::document_by_path(const std::string& path) const {
  SqliteStatement st(*db_, std::string(kDocumentColumns) + "WHERE d.path = ? ORDER BY d.added DESC LIMIT 1");
  st.bind(1, path);
  if (!st.step()) return std::nullopt;
  return read_document(st);
}

std::vector<DocumentInfo> Library::documents(std::optional<int64_t> collection) const {
  std::vector<DocumentInfo> out;
  if (collection) {
    SqliteStatement st(*db_, std::string(kDocumentColumns) +
                                 "JOIN collection_documents c ON c.document_id = d.id WHERE c.collection_id = ? "
                                 "ORDER BY d.id");
    st.bind(1, *collection);
    while (st.step()) out.push_back(read_document(st));
  } else {
    SqliteStatement st(*db_, std::string(kDocumentColumns) + "ORDER BY d.id");
    while (st.step()) out.push_back(read_document(st));
  }
  return out;
}

void Library::bump_generation(bool removes) {
  db_->exec(removes ? "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key IN ('generation', 'removals')"
                    : "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'");
}

int64_t Library::removals() const {
  return db_->query_int("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'removals'").value_or(0);
}

int64_t Library::generation() const {
  return db_->query_int("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'").value_or(0);
}

void Library::delete_document_rows(int64_t id) {
  // Explicit deletes (children first) rather than relying on cascades: the FTS trigger must see
  // every passage row go.
  for (const char* sql : {"DELETE FROM embeddings WHERE passage_id IN (SELECT id FROM passages WHERE document_id = ?)",
                          "DELETE FROM passages WHERE document_id = ?", "DELETE FROM pages WHERE document_id = ?",
                          "DELETE FROM collection_documents WHERE document_id = ?",
                          "DELETE FROM documents WHERE id = ?"}) {
    SqliteStatement st(*db_, sql);
    st.bind(1, id).run();
  }
}

AddResult Library::add_document(const DocumentRecord& record, const PdfDocument& pdf, const ChunkedDocument& chunks,
                                const Embeddings& embeddings, int64_t collection_id, const AddProgress& progress) {
  const std::string name = std::filesystem::path(record.path).filename().string();
  if (record.sha256.size() != 64) throw Error(name + ": document has no sha256");
  if (embeddings.dim > 0 &&
      embeddings.values.size() != chunks.passages.size() * static_cast<size_t>(embeddings.dim)) {
    throw Error(name + ": " + std::to_string(chunks.passages.size()) + " passages but " +
                std::to_string(embeddings.values.size() / static_cast<size_t>(embeddings.dim)) + " embeddings");
  }
  if (chunks.pages.size() != pdf.pages.size()) throw Error(name + ": chunked pages do not match the PDF's pages");

  SqliteTransaction tx(*db_);
  AddResult result;
  if (auto same = document_by_sha256(record.sha256)) {
    // Same content: stored once; make sure it is in this collection too.
    SqliteStatement link(*db_, "INSERT OR IGNORE INTO collection_documents(collection_id, document_id) VALUES (?, ?)");
    link.bind(1, collection_id).bind(2, same->id).run();
    tx.commit();
    return {same->id, AddResult::Outcome::kUnchanged};
  }
  if (auto old = document_by_path(record.path)) {
    delete_document_rows(old->id);  // same path, new content: replace
    result.outcome = AddResult::Outcome::kReplaced;
  }

  SqliteStatement doc(*db_,
                      "INSERT INTO documents(sha256, path, title, pages, size, mtime, status, reasons, added) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  doc.bind(1, record.sha256).bind(2, record.path).bind(3, record.title).bind(4, int64_t{record.pages});
  doc.bind(5, record.size).bind(6, record.mtime).bind(7, record.status).bind(8, join_lines(record.reasons));
  doc.bind(9, now_seconds()).run();
  const int64_t doc_id = db_->last_insert_id();
  result.document_id = doc_id;

  SqliteStatement link(*db_, "INSERT INTO collection_documents(collection_id, document_id) VALUES (?, ?)");
  link.bind(1, collection_id).bind(2, doc_id).run();

  SqliteStatement page(*db_, "INSERT INTO pages(document_id, number, status, width, height, text) VALUES (?, ?, ?, ?, ?, ?)");
  for (size_t i = 0; i < pdf.pages.size(); ++i) {
    const PdfPage& p = pdf.pages[i];
    page.bind(1, doc_id).bind(2, int64_t{p.number}).bind(3, page_status_name(p.status));
    page.bind(4, double{p.width}).bind(5, double{p.height}).bind(6, chunks.pages[i].text).run();
  }

  SqliteStatement passage(*db_,
                          "INSERT INTO passages(document_id, ordinal, page_first, page_last, span_begin, span_end, "
                          "tokens, text, cjk_terms, boxes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  SqliteStatement vec(*db_, "INSERT INTO embeddings(passage_id, encoder, dim, vector) VALUES (?, ?, ?, ?)");
  std::vector<uint16_t> half(static_cast<size_t>(std::max(embeddings.dim, 0)));
  const int total = static_cast<int>(chunks.passages.size());
  for (int i = 0; i < total; ++i) {
    const Passage& p = chunks.passages[static_cast<size_t>(i)];
    const std::vector<unsigned char> boxes = pack_boxes(p.boxes);
    passage.bind(1, doc_id).bind(2, int64_t{p.ordinal}).bind(3, int64_t{p.page_first}).bind(4, int64_t{p.page_last});
    passage.bind(5, int64_t{p.begin}).bind(6, int64_t{p.end}).bind(7, int64_t{p.tokens}).bind(8, p.text);
    passage.bind(9, unspaced_bigrams(p.text)).bind_blob(10, boxes.data(), boxes.size()).run();
    const int64_t passage_id = db_->last_insert_id();
    if (embeddings.dim > 0) {
      const float* v = embeddings.values.data() + static_cast<size_t>(i) * static_cast<size_t>(embeddings.dim);
      for (size_t k = 0; k < half.size(); ++k) half[k] = kernels::fp32_to_fp16(v[k]);
      vec.bind(1, passage_id).bind(2, embeddings.encoder).bind(3, int64_t{embeddings.dim});
      vec.bind_blob(4, half.data(), half.size() * 2).run();
    }
    if (progress) progress(i + 1, total);
  }
  bump_generation(result.outcome == AddResult::Outcome::kReplaced);
  tx.commit();
  return result;
}

bool Library::remove_document(int64_t id) {
  SqliteTransaction tx(*db_);
  if (!document(id)) return false;
  delete_document_rows(id);
  bump_generation(true);
  tx.commit();
  return true;
}

void Library::store_embeddings(const std::string& encoder, int dim, std::span<const int64_t> ids,
                               std::span<const float> values) {
  if (dim <= 0 || values.size() != ids.size() * static_cast<size_t>(dim)) {
    throw Error(db_->name() + ": embeddings of " + encoder + ": size does not match ids x dim");
  }
  SqliteTransaction tx(*db_);
  SqliteStatement vec(*db_, "INSERT OR REPLACE INTO embeddings(passage_id, encoder, dim, vector) VALUES (?, ?, ?, ?)");
  std::vector<uint16_t> half(static_cast<size_t>(dim));
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t k = 0; k < half.size(); ++k) half[k] = kernels::fp32_to_fp16(values[i * half.size() + k]);
    vec.bind(1, ids[i]).bind(2, encoder).bind(3, int64_t{dim}).bind_blob(4, half.data(), half.size() * 2).run();
  }
  bump_generation(true);  // may have replaced vectors of indexed passages
  tx.commit();
}

int64_t Library::embedding_count(const std::string& encoder) const {
  SqliteStatement st(*db_, "SELECT count(*) FROM embeddings WHERE encoder = ?");
  st.bind(1, encoder);
  return st.step() ? st.int64(0) : 0;
}

int Library::embedding_dim(const std::string& encoder) const {
  SqliteStatement st(*db_, "SELECT dim FROM embeddings WHERE encoder = ? LIMIT 1");
  st.bind(1, encoder);
  return st.step() ? static_cast<int>(st.int64(0)) : 0;
}

void Library::for_each_embedding(const std::string& encoder,
                                 const std::function<void(int64_t, std::span<const float>)>& fn,
                                 int64_t after_id) const {
  SqliteStatement st(*db_,
                     "SELECT passage_id, dim, vector FROM embeddings WHERE encoder = ? AND passage_id > ? "
                     "ORDER BY passage_id");
  st.bind(1, encoder).bind(2, after_id);
  std::vector<float> v;
  while (st.step()) {
    const auto dim = static_cast<size_t>(st.int64(1));
    if (static_cast<size_t>(st.blob_size(2)) != dim * 2) {
      throw Error(db_->name() + ": embedding of passage " + std::to_string(st.int64(0)) + " has the wrong size");
    }
    v.resize(dim);
    const auto* h = static_cast<const unsigned char*>(st.blob_data(2));
    for (size_t k = 0; k < dim; ++k) {
      uint16_t x;
      std::memcpy(&x, h + 2 * k, 2);
      v[k] = kernels::fp16_to_fp32(x);
    }
    fn(st.int64(0), v);
  }
}

std::optional<StoredPassage> Library::passage(int64_t id) const {
  SqliteStatement st(*db_,
                     "SELECT id, document_id, ordinal, page_first, page_last, span_begin, span_end, tokens, text, "
                     "boxes FROM passages WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  StoredPassage p;
  p.id = st.int64(0);
  p.document_id = st.int64(1);
  p.ordinal = static_cast<int>(st.int64(2));
  p.page_first = static_cast<int>(st.int64(3));
  p.page_last = static_cast<int>(st.int64(4));
  p.begin = static_cast<uint32_t>(st.int64(5));
  p.end = static_cast<uint32_t>(st.int64(6));
  p.tokens = static_cast<int>(st.int64(7));
  p.text = st.text(8);
  p.boxes = unpack_boxes(st.blob_data(9), static_cast<size_t>(st.blob_size(9)));
  return p;
}

std::string Library::page_text(int64_t document_id, int page) const {
  SqliteStatement st(*db_, "SELECT text FROM pages WHERE document_id = ? AND number = ?");
  st.bind(1, document_id).bind(2, int64_t{page});
  return st.step() ? st.text(0) : std::string();
}

int64_t Library::passage_count() const { return db_->query_int("SELECT count(*) FROM passages").value_or(0); }

std::vector<SearchHit> Library::search_bm25(std::string_view query, int k, std::optional<int64_t> collection) const {
  const QueryTerms terms = query_terms(query);
  std::string match;
  for (const auto& w : terms.words) match += (match.empty() ? "" : " OR ") + std::string("text : ") + quoted(w);
  for (const auto& b : terms.bigrams) match += (match.empty() ? "" : " OR ") + std::string("cjk_terms : ") + quoted(b);
  if (match.empty() || k <= 0) return {};
  std::string sql = "SELECT f.rowid, bm25(passages_fts) AS s FROM passages_fts f ";
  if (collection) {
    sql += "JOIN passages p ON p.id = f.rowid JOIN collection_documents c ON c.document_id = p.document_id "
           "AND c.collection_id = ?3 ";
  }
  sql += "WHERE passages_fts MATCH ?1 ORDER BY s LIMIT ?2";
  SqliteStatement st(*db_, sql);
  st.bind(1, match).bind(2, int64_t{k});
  if (collection) st.bind(3, *collection);
  std::vector<SearchHit> out;
  while (st.step()) out.push_back({st.int64(0), -st.real(1)});  // FTS5's bm25 is negated: lower is better
  return out;
}

}  // namespace pgpp::rag
