#pragma once
// The compute thread pool: created once, its workers live as long as it does, so a decode step
// pays no thread start-up. The calling thread works too. Workers spin briefly before sleeping,
// because decode issues hundreds of small parallel loops per token.
//
// Hand-off: a job is published as a 64-bit ticket (job generation << 32 | next chunk) and
// threads claim chunks with a compare-and-swap that fails once the job has moved on. The
// caller waits only for chunks that another thread has claimed and not finished — never for
// a worker that has not woken up yet — so a descheduled worker (more threads than free cores,
// as on a shared machine) costs nothing: the caller runs the remaining chunks itself.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
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

  // Calls fn(thread_index) once on each of the pool's threads (0 = the caller), and returns
  // when all have: unlike parallel_for, this waits for every worker.
  void run_on_all(const std::function<void(int)>& fn);

 private:
  void worker_loop(int index);
  // Claims and runs chunks of the job of generation `gen` until none is left (run_on_all: one).
  void run_chunks(uint32_t gen, int thread_index);
  bool claim(uint32_t gen, int64_t& chunk);
  void publish(int64_t n_chunks);
  void wait_done(int64_t n_chunks);
  void record_error();

  std::vector<std::thread> workers_;
  std::mutex mutex_;  // guards sleeping and stop_
  std::condition_variable wake_;
  std::mutex run_mutex_;  // one job at a time, whichever thread submits it

  // The current job: fields written by the submitter before the ticket is published, read by
  // threads only after they have claimed a chunk of it.
  std::atomic<uint64_t> ticket_{0};  // generation << 32 | next chunk index
  std::atomic<int64_t> done_{0};     // chunks finished
  std::atomic<int> sleeping_{0};
  int64_t n_ = 0;
  int64_t chunk_ = 1;
  std::atomic<int64_t> n_chunks_{0};
  const std::function<void(int64_t, int64_t)>* range_fn_ = nullptr;
  const std::function<void(int)>* each_fn_ = nullptr;
  std::exception_ptr error_;
  std::mutex error_mutex_;
  bool stop_ = false;
};

}  // namespace pgpp::kernels
