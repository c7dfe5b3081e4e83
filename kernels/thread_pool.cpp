#include "kernels/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace pgpp::kernels {

namespace {
inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}
constexpr int kSpinIterations = 20000;
// Waits for `done()` by spinning, then yielding: when threads outnumber cores the thread being
// waited for may need this core.
template <typename Done>
void spin_then_yield(Done done) {
  for (int spin = 0; !done(); ++spin) {
    if (spin < 2000) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
}
}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::work_on_current_job(int thread_index) {
  try {
    if (each_fn_ != nullptr) {
      (*each_fn_)(thread_index);
    } else {
      for (;;) {
        const int64_t begin = next_.fetch_add(chunk_, std::memory_order_relaxed);
        if (begin >= n_) break;
        (*range_fn_)(begin, std::min(n_, begin + chunk_));
      }
    }
  } catch (...) {
    std::lock_guard lock(error_mutex_);
    if (!error_) error_ = std::current_exception();
  }
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen && spin < kSpinIterations; ++spin) {
      if (spin % 64 == 63) {
        std::this_thread::yield();
      } else {
        cpu_relax();
      }
      gen = generation_.load(std::memory_order_acquire);
    }
    if (gen == seen) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load() != seen; });
      gen = generation_.load();
    }
    seen = gen;
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
    }
    work_on_current_job(index);
    active_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                              int64_t min_chunk) {
  if (n <= 0) return;
  const int64_t threads = size();
  if (threads == 1 || n <= min_chunk) {
    fn(0, n);
    return;
  }
  std::lock_guard run_lock(run_mutex_);
  // About four chunks per thread balances uneven rows without much atomic traffic.
  chunk_ = std::max<int64_t>(min_chunk, (n + threads * 4 - 1) / (threads * 4));
  n_ = n;
  next_.store(0, std::memory_order_relaxed);
  range_fn_ = &fn;
  each_fn_ = nullptr;
  error_ = nullptr;
  active_.store(static_cast<int>(workers_.size()), std::memory_order_release);
  {
    std::lock_guard lock(mutex_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  wake_.notify_all();
  work_on_current_job(0);
  spin_then_yield([this] { return active_.load(std::memory_order_acquire) == 0; });
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::run_on_all(const std::function<void(int)>& fn) {
  if (workers_.empty()) {
    fn(0);
    return;
  }
  std::lock_guard run_lock(run_mutex_);
  each_fn_ = &fn;
  range_fn_ = nullptr;
  error_ = nullptr;
  active_.store(static_cast<int>(workers_.size()), std::memory_order_release);
  {
    std::lock_guard lock(mutex_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  wake_.notify_all();
  work_on_current_job(0);
  spin_then_yield([this] { return active_.load(std::memory_order_acquire) == 0; });
  if (error_) std::rethrow_exception(error_);
}

}  // namespace pgpp::kernels
