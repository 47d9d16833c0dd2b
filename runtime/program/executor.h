// The event loop of a run: every program instance of every instance tree is a fiber on this one
// thread. Instances run until they suspend (gen, select, fork_join, task reads); when none can
// run, all their pending requests are with the backend, and each backend step wakes the instances
// whose requests finished.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend.h"
#include "chat_template.h"
#include "instance.h"

namespace sgl::constraint {
class LazyDfa;
}

namespace sgl {

struct ExecOptions {
  GenParams defaults;  // options a gen does not set (temperature, max_tokens, seed from the command line)
  const ChatTemplate* chat_template = nullptr;  // null: "plain"
  size_t stack_bytes = 512 * 1024;              // per instance, with a guard page
};

class Executor {
 public:
  Executor(Backend& backend, ExecOptions options);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // A new instance tree whose root runs `body`; it starts when run() gets to it.
  Tree* start_root(InstanceBody body, TreeHooks hooks, uint64_t seed_base);
  // A branch or task of `parent`'s tree on `stream`; ready to run.
  sgl_ctx* start_child(sgl_ctx* parent, InstanceKind kind, Stream stream, int64_t index, InstanceBody body);
  // Runs until every tree has finished. Throws std::logic_error if instances wait on each other
  // with nothing outstanding (a runtime bug).
  void run();

  // ---- called from inside a running instance ----
  // Submits `r` and suspends the instance until the backend has finished it.
  void wait_request(sgl_ctx* c, Request& r);
  // Suspends the instance; whoever it waits for calls make_ready.
  void suspend(sgl_ctx* c);
  void make_ready(sgl_ctx* c);

  struct Counters {
    uint64_t trees = 0, instances = 0, gen = 0, select = 0, prefill = 0;
  };
  const Counters& counters() const { return counters_; }
  const ExecOptions& options() const { return options_; }
  const ChatTemplate& chat_template() const { return *options_.chat_template; }
  Backend& backend() { return backend_; }
  // The compiled constraint for a regex or schema (cached per run). Throws ConstraintError.
  std::shared_ptr<constraint::LazyDfa> constraint_dfa(ConstraintKind kind, const std::string& text);

 private:
  void resume(sgl_ctx* c);
  void finished(sgl_ctx* c);

  Backend& backend_;
  ExecOptions options_;
  std::deque<sgl_ctx*> ready_;
  std::unordered_map<Request*, sgl_ctx*> outstanding_;
  std::vector<std::unique_ptr<Tree>> trees_;
  uint64_t next_request_id_ = 1;
  Counters counters_;
  std::map<std::pair<int, std::string>, std::shared_ptr<constraint::LazyDfa>> dfas_;
};

// Splits a 64-bit seed stream: a deterministic, well-mixed value from a base and a counter.
uint64_t mix_seed(uint64_t base, uint64_t k);

}  // namespace sgl
