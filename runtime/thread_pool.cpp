// Dynamic-chunk fork-join pool (see thread_pool.h).
#include "thread_pool.h"

#include <sched.h>

namespace sgl {

namespace {
inline void cpu_relax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}
}  // namespace

int hardware_threads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n ? (int)n : 1;
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads > 0 ? n_threads : hardware_threads()) {
  for (int i = 1; i < n_threads_; ++i) threads_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  state_.fetch_add(uint64_t{1} << 32);
  state_.notify_all();
  for (auto& t : threads_) t.join();
}

// Claims and runs chunks of job `gen` until none are left; false if the job changed meanwhile.
bool ThreadPool::work_on(uint64_t gen) {
  uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if ((s >> 32) != gen) return false;
    uint64_t c = s & kClosed;
    if (c == kClosed || (int64_t)c >= chunks_.load(std::memory_order_relaxed)) return true;
    if (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // The successful CAS proves the job is still open, so these fields belong to it.
    const int64_t grain = grain_.load(std::memory_order_relaxed), n = n_.load(std::memory_order_relaxed);
    const int64_t b = (int64_t)c * grain, e = b + grain < n ? b + grain : n;
    (*fn_.load(std::memory_order_relaxed))(b, e);
    done_.fetch_add(1, std::memory_order_acq_rel);
    s = state_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker() {
  uint64_t seen = 0;
  for (;;) {
    uint64_t s;
    int spins = 0;
    while (((s = state_.load(std::memory_order_acquire)) >> 32) == seen) {
      if (++spins < 20000) cpu_relax();
      else state_.wait(s, std::memory_order_acquire);
    }
    seen = s >> 32;
    if (stop_.load()) return;
    work_on(seen);
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int64_t chunks = (n + grain - 1) / grain;
  if (chunks <= 1 || n_threads_ == 1) {
    fn(0, n);
    return;
  }
  // The previous job is closed (see below), so no worker can claim with these fields half-written.
  fn_.store(&fn, std::memory_order_relaxed);
  n_.store(n, std::memory_order_relaxed);
  grain_.store(grain, std::memory_order_relaxed);
  chunks_.store(chunks, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  uint64_t gen = (state_.load(std::memory_order_relaxed) >> 32) + 1;
  state_.store(gen << 32, std::memory_order_release);
  state_.notify_all();
  work_on(gen);
  for (int spins = 0; done_.load(std::memory_order_acquire) != chunks; ++spins) {
    if (spins < 4000) cpu_relax();
    else std::this_thread::yield();
  }
  state_.store((gen << 32) | kClosed, std::memory_order_release);
}

}  // namespace sgl
