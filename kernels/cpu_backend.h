#pragma once
// What CPU kernels run on: the compute thread pool and the SIMD level to dispatch to. Created
// once by the program and passed to models (no global state), so a test can run the same op on
// every SIMD level side by side.
#include "kernels/cpu_features.h"
#include "kernels/thread_pool.h"

namespace pgpp::kernels {

class CpuBackend {
 public:
  explicit CpuBackend(int n_threads = 0, SimdLevel simd = default_simd_level())
      : pool_(n_threads), simd_(simd) {}

  ThreadPool& pool() { return pool_; }
  SimdLevel simd() const { return simd_; }
  int threads() const { return pool_.size(); }

 private:
  ThreadPool pool_;
  SimdLevel simd_;
};

}  // namespace pgpp::kernels
