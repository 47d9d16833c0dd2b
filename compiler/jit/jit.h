// The JIT: compiles a lowered SGL IR module to native code in this process with ORC LLJIT and
// hands back its module descriptor (`sgl_program`) for the runtime's run_module. Generated code
// can reach only the runtime's rt.h functions: they are published to it from an explicit table,
// never by searching the process's symbols.
#pragma once

#include <memory>
#include <string>

#include "ir/ir.h"
#include "sgl/rt.h"

namespace sgl::jit {

// What one compilation cost, in milliseconds (for --stats-like output and the benchmark).
struct JitTimes {
  double codegen_ms = 0;   // SGL IR -> LLVM IR
  double optimize_ms = 0;  // O2
  double jit_ms = 0;       // LLJIT: machine code and linking
};

class JitProgram {
 public:
  ~JitProgram();
  JitProgram(const JitProgram&) = delete;
  JitProgram& operator=(const JitProgram&) = delete;

  // Null with `error` set when LLVM cannot compile or link the module, or when the module's ABI
  // version does not match the runtime's (a message that names both versions).
  static std::unique_ptr<JitProgram> compile(const ir::Module& m, std::string& error, JitTimes* times = nullptr);

  // The module descriptor inside the JIT's memory; valid as long as this object lives.
  const sgl_module& module() const { return *module_; }

 private:
  struct Impl;
  JitProgram();
  std::unique_ptr<Impl> impl_;
  const sgl_module* module_ = nullptr;
};

// The check the loader makes before calling into a module.
bool abi_matches(const sgl_module& m, std::string& error);

}  // namespace sgl::jit
