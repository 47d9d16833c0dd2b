// Object emission through the legacy pass manager's addPassesToEmitFile, which is still how LLVM
// 19 drives machine code generation to a file; optimisation itself ran on the new pass manager.
#include "codegen/object_file.h"

#include "codegen/codegen.h"
#include "codegen/llvm_headers.h"
#include "codegen/optimize.h"

namespace sgl::codegen {

bool emit_object_file(const ir::Module& m, const std::string& path, std::string& error) {
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::Module> mod = emit_llvm(m, ctx);
  std::unique_ptr<llvm::TargetMachine> tm = host_target_machine(error);
  if (!tm) return false;
  optimize(*mod, *tm);
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write " + path + ": " + ec.message();
    return false;
  }
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, out, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    error = "LLVM cannot emit object files for " + tm->getTargetTriple().str();
    return false;
  }
  pm.run(*mod);
  out.flush();
  if (out.has_error()) {
    error = "cannot write " + path + ": " + out.error().message();
    out.clear_error();
    return false;
  }
  return true;
}

}  // namespace sgl::codegen
