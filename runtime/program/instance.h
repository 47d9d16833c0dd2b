// A program instance (what rt.h calls sgl_ctx): a fiber running generated code on a stream, and
// the instance tree (a root instance with its fork branches and spawned tasks) that shares one
// arena. Also the small records behind sgl_fork, sgl_branch, sgl_task and sgl_gen_opts.
#pragma once

#include <boost/context/fiber.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "arena.h"
#include "backend.h"
#include "sgl/rt.h"
#include "stream.h"

namespace sgl {
class Executor;
struct Tree;

enum class InstanceKind { Root, Branch, Task };
enum class InstanceState { Ready, Running, Waiting, Done };

using InstanceBody = std::function<int32_t(sgl_ctx*)>;
}  // namespace sgl

struct sgl_ctx {
  sgl::Executor* ex = nullptr;
  sgl::Tree* tree = nullptr;
  sgl_ctx* parent = nullptr;  // the forking or spawning instance (null for a root)
  sgl::InstanceKind kind = sgl::InstanceKind::Root;
  sgl::InstanceState state = sgl::InstanceState::Ready;
  int64_t index = 0;        // branch index within its fork
  uint64_t seed_base = 0;   // gens without an explicit seed derive theirs from it and gen_count
  uint64_t gen_count = 0;
  sgl::Stream stream;
  sgl::InstanceBody body;
  boost::context::fiber fiber;  // the instance's context while it is suspended
  boost::context::fiber back;   // the event loop's context while the instance runs
  int32_t status = SGL_OK;
  std::string error;  // "file:line:col: runtime error: message" once status < 0
  std::string print_line;
  bool print_started = false;
  size_t streamed = 0;           // bytes of the current request already streamed to the output
  sgl_fork* fork = nullptr;      // the fork a branch belongs to
  std::vector<sgl_ctx*> waiters; // instances waiting for this one to finish (task reads)
  uint64_t task_result = 0;
};

struct sgl_fork {
  sgl_ctx* parent = nullptr;
  int64_t n = 0;
  sgl::Stream base;                 // the parent's stream at fork_begin (text shared, not copied)
  std::vector<sgl_ctx*> children;   // by index; null until started
  int64_t running = 0;              // started children not yet finished
  bool waiting = false;             // the parent is suspended in sgl_fork_join
};

struct sgl_branch {
  sgl_ctx* inst;
};

struct sgl_task {
  sgl_ctx* inst;
};

struct sgl_gen_opts {
  sgl_ctx* ctx = nullptr;
  std::string name;  // "" for an unnamed gen
  sgl::GenParams params;
  bool seed_set = false;
};

namespace sgl {

// Hooks the host (run.cpp) gives a tree: where its output goes and what happens when it is done.
struct TreeHooks {
  // Text appended to the root instance's stream, as it happens (single-instance streaming).
  std::function<void(std::string_view)> on_root_text;
  // One finished print line (no trailing newline).
  std::function<void(std::string_view)> on_print;
  // Called once the root and every instance it started have finished, before the tree goes.
  std::function<void(Tree&)> on_done;
};

struct Tree {
  Arena arena;
  std::vector<std::unique_ptr<sgl_ctx>> instances;
  sgl_ctx* root = nullptr;
  int64_t live = 0;        // instances not finished
  bool cancelled = false;  // the root has finished: what is still running gets SGL_ERR_CANCELLED
  TreeHooks hooks;
};

}  // namespace sgl
