#pragma once
// Shared by the library and vector index tests: real PDFs in, passages and embeddings out.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rag/chunker.h"
#include "rag/library.h"
#include "rag/pdf_reader.h"
#include "rag/sqlite_db.h"
#include "tests/rag/test_pdfs.h"

namespace pgpp::test {

// Token count close to WordPiece's: a run of ASCII letters/digits is one token, any other
// visible character one token.
inline int approx_tokens(std::string_view s) {
  int n = 0;
  bool word = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
    const bool alnum = c < 0x80 && std::isalnum(c);
    if (alnum) {
      if (!word) ++n;
      word = true;
    } else {
      word = false;
      if (c >= 0x80 || !std::isspace(c)) ++n;
    }
  }
  return n;
}

// The encoder is another layer's work: these tests use a hashed bag of words (64 dimensions,
// one signed bucket per word), a real if crude embedding that makes equal texts equal vectors.
constexpr int kTestDim = 64;
inline std::vector<float> hashed_embedding(std::string_view text) {
  std::vector<float> v(kTestDim, 0.0f);
  std::string word;
  const auto flush = [&] {
    if (word.empty()) return;
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (char c : word) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    v[h % kTestDim] += (h >> 63) ? 1.0f : -1.0f;
    word.clear();
  };
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80)) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      flush();
    }
  }
  flush();
  return v;
}

struct Prepared {
  rag::PdfDocument pdf;
  rag::ChunkedDocument chunks;
  rag::DocumentRecord record;
  rag::Embeddings embeddings;
};

inline Prepared prepare(const std::filesystem::path& path, const std::string& encoder = "test-hash-64") {
  Prepared p;
  p.pdf = rag::read_pdf(path);
  rag::Chunker chunker(approx_tokens, {.max_tokens = 200, .overlap = 0.15});
  p.chunks = chunker.chunk(p.pdf);
  p.record = rag::describe_document(path, p.pdf);
  p.embeddings.encoder = encoder;
  p.embeddings.dim = kTestDim;
  for (const auto& passage : p.chunks.passages) {
    const auto v = hashed_embedding(passage.text);
    p.embeddings.values.insert(p.embeddings.values.end(), v.begin(), v.end());
  }
  return p;
}

inline rag::AddResult add(rag::Library& lib, const Prepared& p, const rag::AddProgress& progress = {}) {
  return lib.add_document(p.record, p.pdf, p.chunks, p.embeddings, lib.collection(rag::Library::kDefaultCollection),
                          progress);
}

// One integer from the library's own connection.
inline int64_t count(rag::Library& lib, const char* sql) {
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(lib.db().handle(), sql, -1, &st, nullptr), SQLITE_OK) << sql;
  int64_t v = -1;
  if (st && sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

}  // namespace pgpp::test
