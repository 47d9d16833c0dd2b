// Code generation: lowered SGL IR to an LLVM module whose only calls out are the runtime's C ABI
// (rt.h) and LLVM intrinsics, exporting the module descriptor `sgl_program` (SGL_MODULE_SYMBOL).
// This header does not include LLVM: callers that only hold the module need no LLVM headers.
#pragma once

#include <memory>
#include <string>

#include "ir/ir.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace sgl::codegen {

// `m` must verify at ir::Stage::Lowered. Throws InternalError when LLVM's verifier rejects the
// result (our bug).
std::unique_ptr<llvm::Module> emit_llvm(const ir::Module& m, llvm::LLVMContext& ctx);

// The module as LLVM assembly text.
std::string to_llvm_text(const llvm::Module& module);

// `sglc run --emit=llvm`: the module's LLVM IR after O2 for the host, as text; "" with `error` set
// when the host has no LLVM target.
std::string optimized_llvm_text(const ir::Module& m, std::string& error);

}  // namespace sgl::codegen
