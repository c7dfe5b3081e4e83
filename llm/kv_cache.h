#pragma once
// The key/value cache of one conversation: for every layer, the keys and values of every
// position seen so far, stored as IEEE half floats (half the memory of F32, and what the
// attention kernel reads). Also remembers which token sits at each position, so a new prompt
// that starts like the previous one can keep the shared prefix.
//
// Layout per layer: capacity rows of kv_dim halves (kv_dim = n_kv_heads * head_dim); row j is
// position j.
#include <cstdint>
#include <vector>

namespace pgpp::llm {

class KvCache {
 public:
  KvCache(int64_t n_layers, int64_t capacity, int64_t kv_dim);

  int64_t capacity() const { return capacity_; }
  int64_t kv_dim() const { return kv_dim_; }
  int64_t n_layers() const { return n_layers_; }
  // Positions filled so far.
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  std::size_t bytes() const { return (k_.size() + v_.size()) * sizeof(uint16_t); }

  uint16_t* keys(int64_t layer) { return k_.data() + layer * capacity_ * kv_dim_; }
  uint16_t* values(int64_t layer) { return v_.data() + layer * capacity_ * kv_dim_; }

  // Forgets every position from n on (n <= size()).
  void truncate(int64_t n);
  void clear() { truncate(0); }
  // How many leading tokens of `ids` the cache already holds.
  int64_t common_prefix(const std::vector<int32_t>& ids) const;

  // Called by the model after writing rows size() .. size() + ids.size() - 1 of every layer.
  void append(const int32_t* ids, int64_t n);

 private:
  int64_t n_layers_;
  int64_t capacity_;
  int64_t kv_dim_;
  std::vector<uint16_t> k_;
  std::vector<uint16_t> v_;
  std::vector<int32_t> tokens_;
};

}  // namespace pgpp::llm
