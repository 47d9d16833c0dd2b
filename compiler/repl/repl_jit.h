// The REPL's JIT: one ORC LLJIT for a session, each input's module in a JITDylib of its own
// (every module exports the same `sgl_program` symbol) added under a ResourceTracker, so a
// session can drop all of its code at once (:reset) while earlier inputs' code stays alive for the
// values that point into it.
#pragma once

#include <memory>
#include <string>

#include "ir/ir.h"
#include "sgl/rt.h"

namespace sgl::repl {

class ReplJit {
 public:
  ~ReplJit();
  ReplJit(const ReplJit&) = delete;
  ReplJit& operator=(const ReplJit&) = delete;

  // Null with `error` set when LLVM cannot start a JIT for this host.
  static std::unique_ptr<ReplJit> create(std::string& error);

  // Compiles `m` (codegen, O2) into a new JITDylib named `name` and links it; returns its module
  // descriptor, valid until clear(). Null with `error` set on failure (nothing is kept then).
  const sgl_module* add(const ir::Module& m, const std::string& name, std::string& error);

  // Removes every module added so far (their resource trackers, then their JITDylibs).
  void clear();

  size_t modules() const;

 private:
  struct Impl;
  ReplJit();
  std::unique_ptr<Impl> impl_;
};

}  // namespace sgl::repl
