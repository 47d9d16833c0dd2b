// A small fork-join pool for the CPU engine: parallel_for splits an index range over the calling
// thread plus N-1 workers. Workers spin briefly before sleeping because decode steps issue
// hundreds of short parallel regions per token.
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
  // fn(thread_index, n_threads): each thread takes its own share; returns when all are done.
  void run(const std::function<void(int, int)>& fn);
  // Splits [0, n) into contiguous chunks of at least `grain`, fn(begin, end).
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker(int index);
  int n_threads_;
  std::vector<std::thread> threads_;
  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint32_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
};

int hardware_threads();

}  // namespace sgl
