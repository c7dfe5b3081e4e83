// Document-side speed: PDF extraction (pages/s), chunking (passages/s), library writes, BM25 and
// vector search. Reads $PGPP_BENCH_PDF, else the test corpus's R-data.pdf (41 pages).
//   build/release/bin/pgpp_rag_ingest_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>

#include "rag/chunker.h"
#include "rag/library.h"
#include "rag/pdf_reader.h"
#include "rag/vector_index.h"
#include "tests/rag/rag_fixture.h"

namespace {

std::filesystem::path bench_pdf() {
  if (const char* p = std::getenv("PGPP_BENCH_PDF"); p && *p) return p;
  return pgpp::test::test_pdfs_dir() / "R-data.pdf";
}

void BM_ReadPdf(benchmark::State& state) {
  const auto path = bench_pdf();
  int64_t pages = 0;
  for (auto _ : state) {
    const auto doc = pgpp::rag::read_pdf(path);
    pages += static_cast<int64_t>(doc.pages.size());
  }
  state.counters["pages/s"] = benchmark::Counter(static_cast<double>(pages), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReadPdf)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_Chunk(benchmark::State& state) {
  const auto doc = pgpp::rag::read_pdf(bench_pdf());
  pgpp::rag::Chunker chunker(pgpp::test::approx_tokens, {.max_tokens = 200, .overlap = 0.15});
  int64_t passages = 0, pages = 0;
  for (auto _ : state) {
    passages += static_cast<int64_t>(chunker.chunk(doc).passages.size());
    pages += static_cast<int64_t>(doc.pages.size());
  }
  state.counters["passages/s"] = benchmark::Counter(static_cast<double>(passages), benchmark::Counter::kIsRate);
  state.counters["pages/s"] = benchmark::Counter(static_cast<double>(pages), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Chunk)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// One document into a fresh file library (WAL, one transaction), embeddings of 384 floats.
void BM_LibraryAdd(benchmark::State& state) {
  auto prepared = pgpp::test::prepare(bench_pdf());
  prepared.embeddings.dim = 384;
  prepared.embeddings.values.assign(prepared.chunks.passages.size() * 384, 0.01f);
  const auto dir = std::filesystem::temp_directory_path() / "pgpp-bench-library";
  int64_t passages = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
    pgpp::rag::Library lib(dir / "lib.db");
    pgpp::test::add(lib, prepared);
    passages += static_cast<int64_t>(prepared.chunks.passages.size());
  }
  std::filesystem::remove_all(dir);
  state.counters["passages/s"] = benchmark::Counter(static_cast<double>(passages), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LibraryAdd)->Unit(benchmark::kMillisecond);

void BM_SearchBm25(benchmark::State& state) {
  pgpp::rag::Library lib(":memory:");
  pgpp::test::add(lib, pgpp::test::prepare(bench_pdf()));
  for (auto _ : state) benchmark::DoNotOptimize(lib.search_bm25("how do I read a spreadsheet file", 20));
}
BENCHMARK(BM_SearchBm25)->Unit(benchmark::kMicrosecond);

// Exact vs HNSW over N random 384-dimensional vectors (the size of all-MiniLM-L6-v2's).
struct VectorSetup {
  std::unique_ptr<pgpp::rag::Library> lib;
  std::unique_ptr<pgpp::rag::VectorIndex> index;
  std::vector<float> queries;
  double build_seconds = 0;
};

VectorSetup& vector_setup(int64_t n, bool hnsw) {
  static std::map<std::pair<int64_t, bool>, VectorSetup> cache;  // built once per size and kind
  auto& s = cache[{n, hnsw}];
  if (s.index) return s;
  s.lib = std::make_unique<pgpp::rag::Library>(":memory:");
  s.lib->db().exec(
      "INSERT INTO documents(sha256, path, title, pages, size, mtime, status, reasons, added) "
      "VALUES (printf('%064d', 0), '/bench', 'bench', 1, 0, 0, 'ok', '', 0)");
  s.lib->db().exec("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < " + std::to_string(n) +
                   ") INSERT INTO passages(document_id, ordinal, page_first, page_last, span_begin, span_end, tokens, "
                   "text, cjk_terms, boxes) SELECT 1, i, 1, 1, 0, 1, 1, 'x', '', x'' FROM c");
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = i + 1;
  std::vector<float> values(static_cast<size_t>(n) * 384);
  uint64_t seed = 42;
  for (float& v : values) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<float>(static_cast<int64_t>(seed >> 33) % 2001 - 1000) / 1000.0f;
  }
  s.lib->store_embeddings("bench-384", 384, ids, values);
  s.queries.assign(values.begin(), values.begin() + 100 * 384);
  const auto t0 = std::chrono::steady_clock::now();
  s.index = std::make_unique<pgpp::rag::VectorIndex>(*s.lib, "bench-384",
                                                     pgpp::rag::VectorIndexOptions{.hnsw_threshold = hnsw ? 0 : n + 1});
  s.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

void BM_VectorSearch(benchmark::State& state) {
  VectorSetup& s = vector_setup(state.range(0), state.range(1) != 0);
  size_t q = 0, found_self = 0, searches = 0;
  for (auto _ : state) {
    const auto hits = s.index->search(std::span<const float>(s.queries.data() + q * 384, 384), 20);
    found_self += !hits.empty() && hits[0].passage_id == static_cast<int64_t>(q + 1);
    ++searches;
    q = (q + 1) % 100;
  }
  state.counters["vectors"] = static_cast<double>(s.index->size());
  state.counters["build_s"] = s.build_seconds;
  state.counters["recall@1"] = static_cast<double>(found_self) / static_cast<double>(searches);
}
BENCHMARK(BM_VectorSearch)->Args({20000, 0})->Args({20000, 1})->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
