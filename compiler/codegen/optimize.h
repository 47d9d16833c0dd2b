// The host target and the optimisation pipeline generated modules go through before the JIT or
// an object file: LLVM's new pass manager at O2, tuned for the host CPU.
#pragma once

#include <memory>
#include <string>

namespace llvm {
class Module;
class TargetMachine;
}  // namespace llvm

namespace sgl::codegen {

// The host's target machine (initialising LLVM's native target once); null with `error` set when
// the host is not supported.
std::unique_ptr<llvm::TargetMachine> host_target_machine(std::string& error);

// Sets the module's triple and data layout for `tm` and runs the O2 pipeline on it.
void optimize(llvm::Module& module, llvm::TargetMachine& tm);

}  // namespace sgl::codegen
