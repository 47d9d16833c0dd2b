// The LLJIT every generated module runs in (sglc run's JitProgram and the REPL's session JIT):
// its only source of outside symbols is a JITDylib of absolute symbols for the rt.h table and the
// C memory functions LLVM's intrinsics lower to; the process's own symbols are never searched.
// Includes LLVM (through llvm_headers.h): only JIT code includes this header.
#pragma once

#include <memory>
#include <string>

#include "codegen/llvm_headers.h"

namespace sgl::jit {

// Null with `error` set when LLVM cannot target this host or the JIT cannot start.
std::unique_ptr<llvm::orc::LLJIT> make_runtime_jit(std::string& error);

// An LLVM error as one line of text.
std::string error_text(llvm::Error e);

}  // namespace sgl::jit
