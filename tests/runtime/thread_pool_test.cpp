// ThreadPool: every index runs exactly once per job, across many back-to-back jobs, also with
// more threads than cores (late workers must never claim chunks of a later job).
#include "thread_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <vector>

using sgl::ThreadPool;

TEST_CASE("parallel_for covers every index exactly once, job after job") {
  for (int threads : {1, 2, 5}) {
    CAPTURE(threads);
    ThreadPool pool(threads);
    std::vector<std::atomic<int>> hits(1000);
    int bad = 0;
    for (int job = 0; job < 3000; ++job) {
      const int64_t n = 1 + (job * 37) % 1000, grain = 1 + job % 17;
      for (int64_t i = 0; i < n; ++i) hits[i].store(0, std::memory_order_relaxed);
      pool.parallel_for(n, grain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1, std::memory_order_relaxed);
      });
      for (int64_t i = 0; i < n; ++i) bad += hits[i].load() != 1;
    }
    CHECK(bad == 0);
  }
}

TEST_CASE("small ranges run inline and empty ranges do nothing") {
  ThreadPool pool(2);
  int calls = 0;
  pool.parallel_for(0, 4, [&](int64_t, int64_t) { ++calls; });
  CHECK(calls == 0);
  pool.parallel_for(3, 8, [&](int64_t b, int64_t e) {
    ++calls;
    CHECK(b == 0);
    CHECK(e == 3);
  });
  CHECK(calls == 1);
  CHECK(pool.size() == 2);
}
