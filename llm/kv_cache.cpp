#include "llm/kv_cache.h"

#include <string>

#include "kernels/error.h"

namespace pgpp::llm {

KvCache::KvCache(int64_t n_layers, int64_t capacity, int64_t kv_dim)
    : n_layers_(n_layers), capacity_(capacity), kv_dim_(kv_dim) {
  if (n_layers <= 0 || capacity <= 0 || kv_dim <= 0) {
    throw Error("KV cache: invalid size (" + std::to_string(n_layers) + " layers, " + std::to_string(capacity) +
                " positions, " + std::to_string(kv_dim) + " values per position)");
  }
  const auto n = static_cast<std::size_t>(n_layers * capacity * kv_dim);
  k_.resize(n);
  v_.resize(n);
  tokens_.reserve(static_cast<std::size_t>(capacity));
}

void KvCache::truncate(int64_t n) {
  if (n < 0 || n > size()) throw Error("KV cache: cannot keep " + std::to_string(n) + " positions of " + std::to_string(size()));
  tokens_.resize(static_cast<std::size_t>(n));
}

int64_t KvCache::common_prefix(const std::vector<int32_t>& ids) const {
  std::size_t n = 0;
  while (n < tokens_.size() && n < ids.size() && tokens_[n] == ids[n]) ++n;
  return static_cast<int64_t>(n);
}

void KvCache::append(const int32_t* ids, int64_t n) {
  if (size() + n > capacity_) throw Error("KV cache: full");
  tokens_.insert(tokens_.end(), ids, ids + n);
}

}  // namespace pgpp::llm
