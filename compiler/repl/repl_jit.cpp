// ReplJit: like jit/jit.cpp's JitProgram (the same codegen, O2 and rt.h-only symbol table), but one
// LLJIT holds a whole session and every input gets its own JITDylib and ResourceTracker.
#include "repl/repl_jit.h"

#include <vector>

#include "codegen/codegen.h"
#include "codegen/llvm_headers.h"
#include "codegen/optimize.h"
#include "jit/jit.h"
#include "jit/runtime_jit.h"

namespace sgl::repl {

using jit::error_text;

struct ReplJit::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  struct Input {
    llvm::orc::JITDylib* dylib;
    llvm::orc::ResourceTrackerSP tracker;
  };
  std::vector<Input> inputs;
};

ReplJit::ReplJit() : impl_(std::make_unique<Impl>()) {}

ReplJit::~ReplJit() {
  if (impl_ && impl_->jit) clear();
}

std::unique_ptr<ReplJit> ReplJit::create(std::string& error) {
  std::unique_ptr<llvm::TargetMachine> tm = codegen::host_target_machine(error);  // initialises LLVM's target
  if (!tm) return nullptr;
  // The same rt.h-only symbol table as sglc run's JIT (jit/runtime_jit.h).
  std::unique_ptr<llvm::orc::LLJIT> jit = jit::make_runtime_jit(error);
  if (!jit) return nullptr;
  std::unique_ptr<ReplJit> r(new ReplJit());
  r->impl_->jit = std::move(jit);
  return r;
}

const sgl_module* ReplJit::add(const ir::Module& m, const std::string& name, std::string& error) {
  llvm::orc::LLJIT& jit = *impl_->jit;
  auto ctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> mod = codegen::emit_llvm(m, *ctx);
  std::unique_ptr<llvm::TargetMachine> tm = codegen::host_target_machine(error);
  if (!tm) return nullptr;
  codegen::optimize(*mod, *tm);
  mod->setDataLayout(jit.getDataLayout());

  // Every module exports sgl_program, so each input needs a JITDylib of its own; its link order
  // is LLJIT's default (the runtime table).
  auto jd = jit.createJITDylib(name + " #" + std::to_string(impl_->inputs.size()));
  if (!jd) {
    error = "cannot create a JITDylib: " + error_text(jd.takeError());
    return nullptr;
  }
  llvm::orc::ResourceTrackerSP tracker = jd->createResourceTracker();
  auto drop = [&] {
    llvm::consumeError(tracker->remove());
    llvm::consumeError(jit.getExecutionSession().removeJITDylib(*jd));
  };
  if (llvm::Error e = jit.addIRModule(tracker, llvm::orc::ThreadSafeModule(std::move(mod), std::move(ctx)))) {
    error = "cannot add the input to the JIT: " + error_text(std::move(e));
    drop();
    return nullptr;
  }
  auto addr = jit.lookup(*jd, SGL_MODULE_SYMBOL);
  if (!addr) {
    error = "cannot link the input: " + error_text(addr.takeError());
    drop();
    return nullptr;
  }
  auto* module = addr->toPtr<const sgl_module*>();
  if (!jit::abi_matches(*module, error)) {
    drop();
    return nullptr;
  }
  impl_->inputs.push_back({&*jd, tracker});
  return module;
}

void ReplJit::clear() {
  llvm::orc::ExecutionSession& es = impl_->jit->getExecutionSession();
  for (auto it = impl_->inputs.rbegin(); it != impl_->inputs.rend(); ++it) {
    llvm::consumeError(it->tracker->remove());
    llvm::consumeError(es.removeJITDylib(*it->dylib));
  }
  impl_->inputs.clear();
}

size_t ReplJit::modules() const { return impl_->inputs.size(); }

}  // namespace sgl::repl
