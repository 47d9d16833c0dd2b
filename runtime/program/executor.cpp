// The single-threaded fiber event loop behind every run (see executor.h).
#include "executor.h"

#include <boost/context/protected_fixedsize_stack.hpp>
#include <stdexcept>

#include "constraint.h"

namespace sgl {

uint64_t mix_seed(uint64_t base, uint64_t k) {
  // splitmix64 of base + golden-ratio steps: nearby counters give unrelated seeds.
  uint64_t z = base + 0x9E3779B97F4A7C15ull * (k + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Executor::Executor(Backend& backend, ExecOptions options) : backend_(backend), options_(std::move(options)) {
  if (!options_.chat_template) options_.chat_template = find_chat_template("plain");
}

Executor::~Executor() {
  // Normally empty; after a failure, destroying a suspended fiber unwinds its stack.
  trees_.clear();
}

Tree* Executor::start_root(InstanceBody body, TreeHooks hooks, uint64_t seed_base) {
  auto tree = std::make_unique<Tree>();
  tree->hooks = std::move(hooks);
  Tree* t = tree.get();
  trees_.push_back(std::move(tree));
  auto inst = std::make_unique<sgl_ctx>();
  sgl_ctx* c = inst.get();
  c->ex = this;
  c->tree = t;
  c->kind = InstanceKind::Root;
  c->seed_base = seed_base;
  c->body = std::move(body);
  t->instances.push_back(std::move(inst));
  t->root = c;
  t->live = 1;
  ++counters_.trees;
  ++counters_.instances;
  ready_.push_back(c);
  return t;
}

sgl_ctx* Executor::start_child(sgl_ctx* parent, InstanceKind kind, Stream stream, int64_t index, InstanceBody body) {
  Tree* t = parent->tree;
  auto inst = std::make_unique<sgl_ctx>();
  sgl_ctx* c = inst.get();
  c->ex = this;
  c->tree = t;
  c->parent = parent;
  c->kind = kind;
  c->index = index;
  // Branches and tasks sample differently from their siblings, reproducibly.
  c->seed_base = mix_seed(parent->seed_base, (parent->gen_count++ << 20) ^ static_cast<uint64_t>(index) ^
                                                  (kind == InstanceKind::Task ? 0x5151u : 0xB4B4u));
  c->stream = std::move(stream);
  c->body = std::move(body);
  t->instances.push_back(std::move(inst));
  ++t->live;
  ++counters_.instances;
  ready_.push_back(c);
  return c;
}

void Executor::make_ready(sgl_ctx* c) {
  c->state = InstanceState::Ready;
  ready_.push_back(c);
}

void Executor::suspend(sgl_ctx* c) {
  c->state = InstanceState::Waiting;
  c->back = std::move(c->back).resume();
}

void Executor::wait_request(sgl_ctx* c, Request& r) {
  r.id = next_request_id_++;
  ++(r.kind == RequestKind::Gen ? counters_.gen : r.kind == RequestKind::Select ? counters_.select : counters_.prefill);
  outstanding_.emplace(&r, c);
  backend_.submit(&r);
  suspend(c);
}

void Executor::resume(sgl_ctx* c) {
  c->state = InstanceState::Running;
  if (!c->fiber) {
    // First run: the fiber gets its own guarded stack.
    c->fiber = boost::context::fiber(
        std::allocator_arg, boost::context::protected_fixedsize_stack(options_.stack_bytes),
        [c](boost::context::fiber&& back) {
          c->back = std::move(back);
          int32_t st;
          try {
            st = c->body(c);
          } catch (const boost::context::detail::forced_unwind&) {
            throw;  // the fiber is being destroyed: let Boost unwind it
          } catch (const std::exception& e) {
            c->error = std::string("internal error: ") + e.what();
            st = SGL_ERR_ENGINE;
          }
          c->status = st < 0 ? st : SGL_OK;
          if (st < 0 && c->error.empty())
            c->error = "internal error: an instance failed with status " + std::to_string(st) + " but no message";
          c->body = nullptr;
          return std::move(c->back);
        });
  }
  c->fiber = std::move(c->fiber).resume();
  if (!c->fiber) finished(c);
}

void Executor::finished(sgl_ctx* c) {
  c->state = InstanceState::Done;
  Tree* t = c->tree;
  --t->live;
  if (sgl_fork* f = c->fork) {
    if (--f->running == 0 && f->waiting) {
      f->waiting = false;
      make_ready(f->parent);
    }
  }
  for (sgl_ctx* w : c->waiters) make_ready(w);
  c->waiters.clear();
  if (c == t->root) t->cancelled = true;
  if (t->live == 0) {
    if (t->hooks.on_done) t->hooks.on_done(*t);
    for (size_t i = 0; i < trees_.size(); ++i)
      if (trees_[i].get() == t) {
        trees_.erase(trees_.begin() + static_cast<ptrdiff_t>(i));
        break;
      }
  }
}

void Executor::run() {
  std::vector<Request*> done;
  for (;;) {
    while (!ready_.empty()) {
      sgl_ctx* c = ready_.front();
      ready_.pop_front();
      resume(c);
    }
    if (outstanding_.empty()) {
      if (!trees_.empty()) throw std::logic_error("internal error: program instances wait for each other forever");
      return;
    }
    done.clear();
    backend_.step(done);
    if (done.empty()) throw std::logic_error("internal error: the backend finished no request in a step");
    for (Request* r : done) {
      auto it = outstanding_.find(r);
      if (it == outstanding_.end()) throw std::logic_error("internal error: the backend finished an unknown request");
      sgl_ctx* c = it->second;
      outstanding_.erase(it);
      make_ready(c);
    }
  }
}

std::shared_ptr<constraint::LazyDfa> Executor::constraint_dfa(ConstraintKind kind, const std::string& text) {
  auto key = std::make_pair(static_cast<int>(kind), text);
  auto it = dfas_.find(key);
  if (it != dfas_.end()) return it->second;
  auto dfa = kind == ConstraintKind::Regex ? constraint::compile_regex(text) : constraint::compile_json_schema(text);
  dfas_.emplace(key, dfa);
  return dfa;
}

}  // namespace sgl
