// The host API that runs a compiled .sgl module: `sglc run` (JIT) and AOT executables both parse
// the same run options and hand the module's description to run_module, which executes `main`
// (once, or once per --batch line) on the program runtime and a model backend.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sgl/rt.h"

namespace CLI {
class App;
}

namespace sgl {

struct RunOptions {
  std::string model;  // --model PATH ("" → a clear error: a model is needed; "random:LIKE" works)
  std::vector<std::pair<std::string, std::string>> args;  // --arg name=value, in order
  std::string batch_file;                                 // --batch inputs.jsonl
  int concurrency = 0;                                    // --concurrency N (0: all at once)
  std::optional<double> temperature;                      // --temperature (default 0: greedy)
  std::optional<int64_t> max_tokens;                      // --max-tokens (default 128)
  std::optional<uint64_t> seed;                           // --seed (default 0)
  bool json = false;                                      // --json
  bool stats = false;                                     // --stats
  std::string chat_template;                              // --chat-template NAME
  int threads = 0;                                        // --threads (0: all cores)
  std::string device = "auto";                            // --device auto|cpu|cuda
  // Serving (runtime/serve): the KV pool, the prefix cache and the scheduler.
  int32_t max_total_tokens = 0;        // --max-total-tokens N: KV pool size in tokens (0: from the budget)
  int64_t kv_cache_mib = 0;            // --kv-cache-mib N: CPU K/V byte budget (0: 1 GiB, capped)
  std::optional<double> mem_fraction_static;  // --mem-fraction-static F: GPU pools only (warned and ignored)
  int32_t page_size = 1;               // --page-size N
  bool disable_radix_cache = false;    // --disable-radix-cache
  bool disable_jump_forward = false;   // --disable-jump-forward: constrained gens sample every token
  // --chunked-prefill-size N (0 or -1: no chunking). 1024 by default: on the CPU engine, prefills
  // of many thousand tokens in one forward run 1.4-1.5x slower than in chunks (bench/README.md).
  int32_t chunked_prefill_size = 1024;
  int32_t max_running_requests = 64;   // --max-running-requests N
  std::string schedule_policy = "lpm";  // --schedule-policy lpm|fcfs|dfs-weight
};

// Adds the run options above to `app` (CLI11), shared by `sglc run` and AOT executables so that
// both spell and validate them the same way.
void add_run_options(CLI::App& app, RunOptions& o);

class Backend;
struct ModelBackendOptions;

// The model backend's options from the run options (threads, KV pool, scheduler). false and *err
// (one line without "error: ") for a combination no flag check can see (a pool below one page).
bool model_backend_options(const RunOptions& o, ModelBackendOptions* out, std::string* err);

// Runs `m` with the real model backend made from o.model. Writes the program's output to `out`
// and diagnostics to `err`; returns the exit status: 0 ok, 1 a runtime/model error (in --batch:
// any failed line), 2 a bad command line (bad --arg, bad batch file, no model).
int run_module(const sgl_module& m, const RunOptions& o, std::ostream& out, std::ostream& err);
// The same with a given backend (tests inject a scripted one). o.model is ignored.
int run_module(const sgl_module& m, const RunOptions& o, Backend& backend, std::ostream& out,
               std::ostream& err);

}  // namespace sgl
