// The serving flags of add_run_options (--max-total-tokens, --page-size, --disable-radix-cache,
// --chunked-prefill-size, --max-running-requests, --schedule-policy, --kv-cache-mib,
// --mem-fraction-static): parsed into the model backend's scheduler options by
// model_backend_options, bad values rejected with pinned messages. No model file needed.
#include <doctest/doctest.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "model_backend.h"
#include "program_test_util.h"

using namespace sgl;
using namespace sgl::test;

TEST_CASE("serving flags: parsed into the backend's scheduler options; bad values are errors") {
  RunOptions o;
  CLI::App app("test");
  add_run_options(app, o);
  std::vector<std::string> argv = {"--max-total-tokens", "4096", "--page-size", "4", "--disable-radix-cache",
                                   "--chunked-prefill-size", "512", "--max-running-requests", "8",
                                   "--schedule-policy", "dfs-weight", "--kv-cache-mib", "256",
                                   "--mem-fraction-static", "0.8", "--disable-jump-forward"};
  std::reverse(argv.begin(), argv.end());
  app.parse(argv);
  ModelBackendOptions bo;
  std::string why;
  REQUIRE(model_backend_options(o, &bo, &why));
  CHECK(bo.sched.max_total_tokens == 4096);
  CHECK(bo.sched.page_size == 4);
  CHECK(bo.sched.disable_radix_cache);
  CHECK(bo.sched.chunked_prefill_size == 512);
  CHECK(bo.sched.max_running_requests == 8);
  CHECK(bo.sched.policy == serve::SchedulePolicy::DfsWeight);
  CHECK(bo.kv_cache_bytes == int64_t{256} << 20);
  CHECK(o.mem_fraction_static == 0.8);
  CHECK_FALSE(bo.jump_forward);
  CHECK(bo.mem_fraction_static == 0.8);  // used when --device selects the CUDA engine
  CHECK(bo.device == "auto");

  // Defaults: radix cache on, LPM, chunks of 1024 tokens, 64 running requests, the pool from the budget.
  RunOptions d;
  REQUIRE(model_backend_options(d, &bo, &why));
  CHECK_FALSE(bo.sched.disable_radix_cache);
  CHECK(bo.jump_forward);
  CHECK(bo.sched.policy == serve::SchedulePolicy::Lpm);
  CHECK(bo.sched.chunked_prefill_size == 1024);
  CHECK(bo.sched.max_running_requests == 64);
  CHECK(bo.sched.max_total_tokens == 0);

  struct Bad {
    std::vector<std::string> argv;
    std::string message;
  };
  std::vector<Bad> bad = {
      {{"--page-size", "0"}, "--page-size: expected an integer >= 1, got '0'"},
      {{"--page-size", "two"}, "--page-size: expected an integer >= 1, got 'two'"},
      {{"--max-running-requests", "0"}, "--max-running-requests: expected an integer >= 1, got '0'"},
      {{"--chunked-prefill-size", "-2"}, "--chunked-prefill-size: expected an integer >= -1, got '-2'"},
      {{"--max-total-tokens", "-1"}, "--max-total-tokens: expected an integer >= 0, got '-1'"},
      {{"--max-total-tokens", "99999999999"}, "--max-total-tokens: expected an integer >= 0, got '99999999999'"},
      {{"--kv-cache-mib", "1.5"}, "--kv-cache-mib: expected an integer >= 0, got '1.5'"},
      {{"--schedule-policy", "random"}, "--schedule-policy: expected lpm, fcfs or dfs-weight, got 'random'"},
      {{"--mem-fraction-static", "1.5"}, "--mem-fraction-static: expected a fraction in (0, 1], got '1.5'"},
      {{"--mem-fraction-static", "0"}, "--mem-fraction-static: expected a fraction in (0, 1], got '0'"},
  };
  for (Bad& b : bad) {
    CAPTURE(b.argv[0]);
    RunOptions x;
    CLI::App a("test");
    add_run_options(a, x);
    std::reverse(b.argv.begin(), b.argv.end());
    std::string what;
    try {
      a.parse(b.argv);
    } catch (const CLI::ValidationError& e) {
      what = e.what();
    }
    CHECK(what == b.message);
  }

  // What no single flag check sees: a pool smaller than one page (exit 2, before loading a model).
  RunOptions small;
  small.model = "random:stories260K";
  small.max_total_tokens = 2;
  small.page_size = 4;
  std::ostringstream out, err;
  CHECK(run_module(module([](sgl_ctx*, const uint64_t*) -> int32_t { return SGL_OK; }), small, out, err) == 2);
  CHECK(err.str() == "error: --max-total-tokens 2 is less than one page (--page-size 4)\n");
  // --mem-fraction-static is for GPU pools: the CPU run says so and goes on.
  RunOptions gpu;
  gpu.model = "random:stories260K";
  gpu.mem_fraction_static = 0.8;
  std::ostringstream out2, err2;
  CHECK(run_module(module([](sgl_ctx*, const uint64_t*) -> int32_t { return SGL_OK; }), gpu, out2, err2) == 0);
  CHECK(err2.str() ==
        "warning: --mem-fraction-static sizes GPU memory pools; the CPU engine ignores it (use --kv-cache-mib or "
        "--max-total-tokens)\n");
}
