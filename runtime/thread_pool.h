// A small fork-join pool for the CPU engine. parallel_for cuts a range into chunks that the caller
// and the workers claim dynamically, so a thread that the OS deschedules (a busy machine) delays
// only the chunk it holds, not the whole step. Workers spin briefly before sleeping because
// decode issues hundreds of short parallel regions per token.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace sgl {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // <= 0: all hardware threads
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }
  // Calls fn(begin, end) on chunks of `grain` indices covering [0, n); returns when all are done.
  // fn must not call back into the pool.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker();
  bool work_on(uint64_t gen);
  int n_threads_;
  std::vector<std::thread> threads_;
  // (generation << 32) | next unclaimed chunk. A chunk is claimed by a CAS that also checks the
  // generation, so a late worker can never run a chunk of a finished job. When a job is done the
  // caller first closes it (chunk field kClosed) and only then rewrites the job fields below, so
  // a worker that read the old state fails its CAS instead of claiming a chunk of the next job.
  static constexpr uint64_t kClosed = 0xffffffffu;
  // state_, done_ and the job fields sit on separate cache lines: the caller spins on done_ while
  // workers claim chunks through state_, and sharing one line made every claim and every
  // completion bounce it between cores (about 10 % of a 2-thread BF16 prefill in ThreadPool::work_on).
  alignas(64) std::atomic<uint64_t> state_{kClosed};
  alignas(64) std::atomic<int64_t> done_{0};
  // Job fields: written only while the state is closed, read by workers after they load the
  // published state (acquire). Atomics (relaxed) only so that a late worker's read is not a race.
  alignas(64) std::atomic<const std::function<void(int64_t, int64_t)>*> fn_{nullptr};
  std::atomic<int64_t> n_{0}, grain_{1}, chunks_{0};
  std::atomic<bool> stop_{false};
};

int hardware_threads();

}  // namespace sgl
