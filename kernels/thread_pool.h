#pragma once
// The compute thread pool: created once, its workers live as long as it does, so a decode step
// pays no thread start-up. The calling thread works too. Workers spin briefly before sleeping,
// because decode issues hundreds of small parallel loops per token.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pgpp::kernels {

class ThreadPool {
 public:
  // n_threads counts the caller; 0 means one per hardware thread.
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) over [0, n) in chunks of at least min_chunk, spread over the threads,
  // and returns when all are done. Not re-entrant: fn must not call parallel_for on this pool.
  // Exceptions thrown by fn are rethrown here (the first one).
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                    int64_t min_chunk = 1);

  // Calls fn(thread_index) once on each of the pool's threads (0 = the caller).
  void run_on_all(const std::function<void(int)>& fn);

 private:
  void worker_loop(int index);
  void work_on_current_job(int thread_index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::mutex run_mutex_;  // one job at a time, whichever thread submits it

  // The current job.
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> active_{0};
  std::atomic<int64_t> next_{0};
  int64_t n_ = 0;
  int64_t chunk_ = 1;
  const std::function<void(int64_t, int64_t)>* range_fn_ = nullptr;
  const std::function<void(int)>* each_fn_ = nullptr;
  std::exception_ptr error_;
  std::mutex error_mutex_;
  bool stop_ = false;
};

}  // namespace pgpp::kernels
