#include "rag/vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/utils/distances.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kernels/error.h"
#include "rag/library.h"

namespace pgpp::rag {

namespace {

// File layout: "PGPPVEC3", u64 generation, u64 removals, i64 largest id, u64 count, u32 dim,
// u32 hnsw, u32 encoder length, encoder bytes, u64 payload length, u64 payload FNV-1a hash, then the payload: (count > 0) the
// FAISS index as faiss::write_index writes it. The length and hash are checked before FAISS reads
// the payload: FAISS 1.7.3 leaks what it had allocated when it throws on damaged data.
uint64_t fnv1a(const std::vector<uint8_t>& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : bytes) h = (h ^ b) * 1099511628211ull;
  return h;
}

// FAISS 1.7.3 spells its id type faiss::Index::idx_t (later versions: faiss::idx_t).
using Idx = faiss::Index::idx_t;

constexpr char kMagic[8] = {'P', 'G', 'P', 'P', 'V', 'E', 'C', '3'};

struct FileCloser {
  void operator()(FILE* f) const {
    if (f) std::fclose(f);
  }
};
using File = std::unique_ptr<FILE, FileCloser>;

template <typename T>
bool read_pod(FILE* f, T& v) {
  return std::fread(&v, sizeof(T), 1, f) == 1;
}

template <typename T>
void write_pod(FILE* f, const T& v) {
  std::fwrite(&v, sizeof(T), 1, f);
}

}  // namespace

VectorIndex::VectorIndex(const Library& library, std::string encoder, VectorIndexOptions options)
    : encoder_(std::move(encoder)), options_(options) {
  if (library.in_memory()) {
    build(library);
    origin_ = IndexOrigin::kInMemory;
    return;
  }
  file_ = file_for(library);
  std::error_code ec;
  if (!std::filesystem::exists(file_, ec)) {
    build(library);
    save();
    origin_ = IndexOrigin::kBuiltMissing;
    reason_ = file_.filename().string() + ": missing";
    return;
  }
  bool unreadable = false;
  const std::string why = try_load(library, unreadable);
  if (why.empty()) {
    origin_ = IndexOrigin::kLoaded;
    if (generation_ == library.generation()) return;
    if (catch_up(library)) {
      save();
      origin_ = IndexOrigin::kUpdated;
      return;
    }
    build(library);
    save();
    origin_ = IndexOrigin::kRebuiltStale;
    reason_ = file_.filename().string() + ": vectors changed since generation " + std::to_string(generation_);
    return;
  }
  build(library);
  save();
  origin_ = unreadable ? IndexOrigin::kRebuiltUnreadable : IndexOrigin::kRebuiltStale;
  reason_ = file_.filename().string() + ": " + why;
}

VectorIndex::~VectorIndex() = default;

std::filesystem::path VectorIndex::file_for(const Library& library) {
  auto p = library.path();
  p += ".vectors";
  return p;
}

void VectorIndex::build(const Library& library) {
  index_.reset();
  count_ = library.embedding_count(encoder_);
  dim_ = library.embedding_dim(encoder_);
  generation_ = library.generation();
  removals_ = library.removals();
  max_id_ = 0;
  hnsw_ = count_ > options_.hnsw_threshold;
  if (count_ == 0 || dim_ == 0) {
    count_ = 0;
    return;
  }
  std::vector<float> values;
  std::vector<Idx> ids;
  values.reserve(static_cast<size_t>(count_) * static_cast<size_t>(dim_));
  ids.reserve(static_cast<size_t>(count_));
  library.for_each_embedding(encoder_, [&](int64_t id, std::span<const float> v) {
    if (static_cast<int>(v.size()) != dim_) throw Error("embeddings of " + encoder_ + " have mixed dimensions");
    ids.push_back(id);
    values.insert(values.end(), v.begin(), v.end());
  });
  count_ = static_cast<int64_t>(ids.size());
  max_id_ = ids.empty() ? 0 : ids.back();
  faiss::fvec_renorm_L2(static_cast<size_t>(dim_), ids.size(), values.data());
  try {
    std::unique_ptr<faiss::Index> inner;
    if (hnsw_) {
      auto h = std::make_unique<faiss::IndexHNSWFlat>(dim_, options_.hnsw_m, faiss::METRIC_INNER_PRODUCT);
      h->hnsw.efConstruction = options_.ef_construction;
      h->hnsw.efSearch = options_.ef_search;
      inner = std::move(h);
    } else {
      inner = std::make_unique<faiss::IndexFlatIP>(dim_);
    }
    auto map = std::make_unique<faiss::IndexIDMap>(inner.release());
    map->own_fields = true;
    map->add_with_ids(count_, values.data(), ids.data());
    index_ = std::move(map);
  } catch (const faiss::FaissException& e) {
    throw Error("vector index: FAISS failed to build (" + std::string(e.what()) + ")");
  }
}

std::string VectorIndex::try_load(const Library& library, bool& unreadable) {
  unreadable = true;
  File f(std::fopen(file_.c_str(), "rb"));
  if (!f) return std::string("cannot open (") + std::strerror(errno) + ")";
  char magic[8];
  uint64_t generation = 0, removals = 0, count = 0;
  int64_t max_id = 0;
  uint32_t dim = 0, hnsw = 0, enc_len = 0;
  if (std::fread(magic, 1, 8, f.get()) != 8 || std::memcmp(magic, kMagic, 8) != 0) return "not a PrivateGPT++ vector index";
  if (!read_pod(f.get(), generation) || !read_pod(f.get(), removals) || !read_pod(f.get(), max_id) ||
      !read_pod(f.get(), count) || !read_pod(f.get(), dim) ||
      !read_pod(f.get(), hnsw) || !read_pod(f.get(), enc_len) || enc_len > 4096) {
    return "truncated header";
  }
  std::string encoder(enc_len, '\0');
  if (enc_len && std::fread(encoder.data(), 1, enc_len, f.get()) != enc_len) return "truncated header";
  unreadable = false;
  if (encoder != encoder_) return "built for encoder " + encoder + ", not " + encoder_;
  if (static_cast<int64_t>(removals) != library.removals() || static_cast<int64_t>(generation) > library.generation()) {
    return "built at library generation " + std::to_string(generation) + ", vectors removed or replaced since (now " +
           std::to_string(library.generation()) + ")";
  }
  const int64_t stored = library.embedding_count(encoder_);
  if (static_cast<int64_t>(generation) == library.generation() && static_cast<int64_t>(count) != stored) {
    return "holds " + std::to_string(count) + " vectors, library has " + std::to_string(stored);
  }
  if (count > 0 && static_cast<int>(dim) != library.embedding_dim(encoder_)) return "dimension differs";
  uint64_t payload_size = 0, payload_hash = 0;
  if (!read_pod(f.get(), payload_size) || !read_pod(f.get(), payload_hash)) {
    unreadable = true;
    return "truncated header";
  }
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(file_, ec);
  const auto at = std::ftell(f.get());
  if (ec || at < 0 || file_size != static_cast<uint64_t>(at) + payload_size) {
    unreadable = true;
    return "truncated or extended (size differs from its header)";
  }
  faiss::VectorIOReader reader;
  reader.data.resize(payload_size);
  if (payload_size && std::fread(reader.data.data(), 1, payload_size, f.get()) != payload_size) {
    unreadable = true;
    return "read error";
  }
  if (fnv1a(reader.data) != payload_hash) {
    unreadable = true;
    return "damaged (checksum differs)";
  }
  std::unique_ptr<faiss::Index> index;
  if (count > 0) {
    try {
      index.reset(faiss::read_index(&reader));
    } catch (const faiss::FaissException& e) {
      unreadable = true;
      return std::string("unreadable FAISS data (") + e.what() + ")";
    }
    if (!index || index->ntotal != static_cast<Idx>(count) || index->d != static_cast<int>(dim)) {
      unreadable = true;
      return "FAISS data does not match its header";
    }
    if (auto* map = dynamic_cast<faiss::IndexIDMap*>(index.get())) {
      if (auto* h = dynamic_cast<faiss::IndexHNSW*>(map->index)) h->hnsw.efSearch = options_.ef_search;
    }
  }
  index_ = std::move(index);
  count_ = static_cast<int64_t>(count);
  dim_ = static_cast<int>(dim);
  hnsw_ = hnsw != 0;
  generation_ = static_cast<int64_t>(generation);
  removals_ = static_cast<int64_t>(removals);
  max_id_ = max_id;
  return "";
}

void VectorIndex::save() const {
  if (file_.empty()) return;
  auto tmp = file_;
  tmp += ".part";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(tmp.filename().string() + ": cannot write the vector index (" + std::strerror(errno) + ")");
  File f(::fdopen(fd, "wb"));
  if (!f) {
    ::close(fd);
    throw Error(tmp.filename().string() + ": cannot write the vector index");
  }
  std::fwrite(kMagic, 1, 8, f.get());
  write_pod(f.get(), static_cast<uint64_t>(generation_));
  write_pod(f.get(), static_cast<uint64_t>(removals_));
  write_pod(f.get(), max_id_);
  write_pod(f.get(), static_cast<uint64_t>(count_));
  write_pod(f.get(), static_cast<uint32_t>(dim_));
  write_pod(f.get(), static_cast<uint32_t>(hnsw_ ? 1 : 0));
  write_pod(f.get(), static_cast<uint32_t>(encoder_.size()));
  std::fwrite(encoder_.data(), 1, encoder_.size(), f.get());
  faiss::VectorIOWriter writer;
  try {
    if (index_) faiss::write_index(index_.get(), &writer);
  } catch (const faiss::FaissException& e) {
    throw Error(tmp.filename().string() + ": FAISS failed to write (" + e.what() + ")");
  }
  write_pod(f.get(), static_cast<uint64_t>(writer.data.size()));
  write_pod(f.get(), fnv1a(writer.data));
  if (!writer.data.empty()) std::fwrite(writer.data.data(), 1, writer.data.size(), f.get());
  const bool ok = std::fflush(f.get()) == 0 && ::fsync(::fileno(f.get())) == 0 && !std::ferror(f.get());
  f.reset();
  if (!ok) throw Error(tmp.filename().string() + ": write failed (disk full?)");
  std::error_code ec;
  std::filesystem::rename(tmp, file_, ec);
  if (ec) throw Error(file_.filename().string() + ": cannot replace the vector index (" + ec.message() + ")");
}

bool VectorIndex::catch_up(const Library& library) {
  if (library.removals() != removals_ || !index_ || count_ == 0) return false;
  std::vector<float> values;
  std::vector<Idx> ids;
  bool same_dim = true;
  library.for_each_embedding(
      encoder_,
      [&](int64_t id, std::span<const float> v) {
        same_dim = same_dim && static_cast<int>(v.size()) == dim_;
        ids.push_back(id);
        values.insert(values.end(), v.begin(), v.end());
      },
      max_id_);
  if (!same_dim || count_ + static_cast<int64_t>(ids.size()) != library.embedding_count(encoder_)) return false;
  // Growing past the threshold switches the kind of index: rebuild.
  if (!hnsw_ && count_ + static_cast<int64_t>(ids.size()) > options_.hnsw_threshold) return false;
  if (!ids.empty()) {
    faiss::fvec_renorm_L2(static_cast<size_t>(dim_), ids.size(), values.data());
    try {
      index_->add_with_ids(static_cast<Idx>(ids.size()), values.data(), ids.data());
    } catch (const faiss::FaissException& e) {
      throw Error("vector index: FAISS failed to add (" + std::string(e.what()) + ")");
    }
    count_ += static_cast<int64_t>(ids.size());
    max_id_ = ids.back();
  }
  generation_ = library.generation();
  return true;
}

bool VectorIndex::refresh(const Library& library) {
  if (generation_ == library.generation()) return false;
  if (catch_up(library)) {
    origin_ = library.in_memory() ? IndexOrigin::kInMemory : IndexOrigin::kUpdated;
    reason_ = "passages added";
  } else {
    build(library);
    origin_ = library.in_memory() ? IndexOrigin::kInMemory : IndexOrigin::kRebuiltStale;
    reason_ = "vectors removed or replaced";
  }
  save();
  return true;
}

std::vector<VectorHit> VectorIndex::search(std::span<const float> query, int k) const {
  if (!index_ || count_ == 0 || k <= 0) return {};
  if (static_cast<int>(query.size()) != dim_) {
    throw Error("vector index: query has " + std::to_string(query.size()) + " dimensions, the index " +
                std::to_string(dim_));
  }
  std::vector<float> q(query.begin(), query.end());
  faiss::fvec_renorm_L2(q.size(), 1, q.data());
  const auto n = static_cast<Idx>(std::min<int64_t>(k, count_));
  std::vector<float> scores(static_cast<size_t>(n));
  std::vector<Idx> labels(static_cast<size_t>(n));
  index_->search(1, q.data(), n, scores.data(), labels.data());
  std::vector<VectorHit> out;
  for (Idx i = 0; i < n; ++i) {
    if (labels[static_cast<size_t>(i)] >= 0) out.push_back({labels[static_cast<size_t>(i)], scores[static_cast<size_t>(i)]});
  }
  return out;
}

}  // namespace pgpp::rag
