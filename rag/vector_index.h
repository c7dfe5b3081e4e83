#pragma once
// Nearest passages by embedding, with FAISS: inner product on L2-normalized vectors (cosine).
// Exact search (IndexFlatIP) up to `hnsw_threshold` vectors, HNSW above (FAISS wiki, "Guidelines
// to choose an index": exact below ~1M is fine for a single query, but HNSW keeps a question
// under a millisecond on a laptop for large libraries).
//
// The index is derived data: the library's stored embeddings are the truth. It is saved beside
// the library file (<library>.vectors) with a header naming the library generation, vector count,
// dimension and encoder it was built from; when the file is missing, unreadable or stale it is
// rebuilt from the library and saved again. Passages added since it was built (ids only grow) are
// added to it; anything that removed or replaced vectors makes it stale. An in-memory library
// gets an in-memory index.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace faiss {
struct Index;
}

namespace pgpp::rag {

class Library;

struct VectorHit {
  int64_t passage_id = 0;
  float score = 0;  // cosine similarity
};

struct VectorIndexOptions {
  int64_t hnsw_threshold = 50000;
  int hnsw_m = 32;
  int ef_construction = 80;
  int ef_search = 96;
};

// How the index came to be, and why (for logs and tests).
// kUpdated: a saved index older than the library, caught up by adding the passages added since.
enum class IndexOrigin { kLoaded, kUpdated, kBuiltMissing, kRebuiltStale, kRebuiltUnreadable, kInMemory };

class VectorIndex {
 public:
  VectorIndex(const Library& library, std::string encoder, VectorIndexOptions options = {});
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  // The index file beside a file library.
  static std::filesystem::path file_for(const Library& library);

  // Brings the index up to date (adding new passages, or rebuilding after removals) and saves
  // it; true if anything changed.
  bool refresh(const Library& library);

  // Best k passages for a query vector (normalized here), best first.
  std::vector<VectorHit> search(std::span<const float> query, int k) const;

  int64_t size() const { return count_; }
  int dim() const { return dim_; }
  bool is_hnsw() const { return hnsw_; }
  int64_t generation() const { return generation_; }
  IndexOrigin origin() const { return origin_; }
  const std::string& origin_reason() const { return reason_; }

 private:
  void build(const Library& library);
  // Adds the vectors of passages added since; false when only a rebuild can bring it up to date.
  bool catch_up(const Library& library);
  // Empty string when loaded; otherwise why the file cannot be used. Sets `unreadable`.
  std::string try_load(const Library& library, bool& unreadable);
  void save() const;

  std::string encoder_;
  VectorIndexOptions options_;
  std::filesystem::path file_;  // empty for an in-memory library
  std::unique_ptr<faiss::Index> index_;
  int64_t count_ = 0;
  int dim_ = 0;
  bool hnsw_ = false;
  int64_t generation_ = -1;
  int64_t removals_ = -1;
  int64_t max_id_ = 0;  // largest passage id in the index
  IndexOrigin origin_ = IndexOrigin::kInMemory;
  std::string reason_;
};

}  // namespace pgpp::rag
