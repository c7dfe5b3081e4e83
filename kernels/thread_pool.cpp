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
// About 1 ms of pause instructions before a worker sleeps: decode issues a job every few tens of
// microseconds, so a worker between two of them should still be awake.
constexpr int kSpinIterations = 20000;
inline uint32_t generation_of(uint64_t ticket) {
  return static_cast<uint32_t>(ticket >> 32);
}
inline int64_t index_of(uint64_t ticket) {
  return static_cast<int64_t>(ticket & 0xFFFFFFFFu);
}
}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0)
    n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::record_error() {
  std::lock_guard lock(error_mutex_);
  if (!error_) error_ = std::current_exception();
}

bool ThreadPool::claim(uint32_t gen, int64_t& chunk) {
  uint64_t t = ticket_.load(std::memory_order_acquire);
  for (;;) {
    if (generation_of(t) != gen || index_of(t) >= n_chunks_.load(std::memory_order_relaxed))
      return false;
    if (ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      chunk = index_of(t);
      return true;
    }
  }
}

// The job's fields are read only after a claim of it succeeded: until that chunk is counted
// done, the submitter cannot move on to another job.
void ThreadPool::run_chunks(uint32_t gen, int thread_index) {
  int64_t c = 0;
  while (claim(gen, c)) {
    const bool each = each_fn_ != nullptr;
    try {
      if (each) {
        (*each_fn_)(thread_index);
      } else {
        const int64_t begin = c * chunk_;
        (*range_fn_)(begin, std::min(n_, begin + chunk_));
      }
    } catch (...) {
      record_error();
    }
    done_.fetch_add(1, std::memory_order_acq_rel);
    if (each) return;  // run_on_all: once per thread
  }
}

void ThreadPool::worker_loop(int index) {
  uint32_t seen = 0;
  for (;;) {
    uint64_t t = ticket_.load(std::memory_order_acquire);
    for (int spin = 0; generation_of(t) == seen && spin < kSpinIterations; ++spin) {
      cpu_relax();
      t = ticket_.load(std::memory_order_acquire);
    }
    if (generation_of(t) == seen) {
      std::unique_lock lock(mutex_);
      sleeping_.fetch_add(1, std::memory_order_seq_cst);
      wake_.wait(lock, [&] {
        return stop_ || generation_of(ticket_.load(std::memory_order_seq_cst)) != seen;
      });
      sleeping_.fetch_sub(1, std::memory_order_relaxed);
      if (stop_) return;
      t = ticket_.load(std::memory_order_acquire);
    }
    seen = generation_of(t);
    run_chunks(seen, index);
  }
}

void ThreadPool::publish(int64_t n_chunks) {
  n_chunks_.store(n_chunks, std::memory_order_relaxed);
  error_ = nullptr;
  done_.store(0, std::memory_order_relaxed);
  const uint32_t gen = generation_of(ticket_.load(std::memory_order_relaxed)) + 1;
  ticket_.store(static_cast<uint64_t>(gen) << 32, std::memory_order_seq_cst);
  // A worker that is about to sleep has raised sleeping_ before re-checking the ticket under the
  // mutex, so either it sees the new ticket or we see it and wake it.
  if (sleeping_.load(std::memory_order_seq_cst) > 0) {
    { std::lock_guard lock(mutex_); }
    wake_.notify_all();
  }
}

void ThreadPool::wait_done(int64_t n_chunks) {
  for (int spin = 0; done_.load(std::memory_order_acquire) < n_chunks; ++spin) {
    if (spin < 2000) {
      cpu_relax();
    } else {
      std::this_thread::yield();  // the thread we wait for may need this core
    }
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
  range_fn_ = &fn;
  each_fn_ = nullptr;
  const int64_t n_chunks = (n + chunk_ - 1) / chunk_;
  publish(n_chunks);
  run_chunks(generation_of(ticket_.load(std::memory_order_relaxed)), 0);
  wait_done(n_chunks);
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
  const auto n_workers = static_cast<int64_t>(workers_.size());
  publish(n_workers);  // one claim per worker; the caller runs fn(0) without claiming
  try {
    fn(0);
  } catch (...) {
    record_error();
  }
  wait_done(n_workers);
  each_fn_ = nullptr;
  if (error_) std::rethrow_exception(error_);
}

}  // namespace pgpp::kernels
