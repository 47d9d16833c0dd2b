// ORC LLJIT for generated modules: codegen, O2 for the host, then an LLJIT whose only source of
// outside symbols is a JITDylib of absolute symbols for the rt.h table (rt_symbols()) and the few
// C library functions LLVM itself may emit calls to. The process's own symbols are never
// searched, so a call to anything else fails at link time instead of binding to whatever the
// executable happens to export.
#include "jit/jit.h"

#include <chrono>
#include <cstring>

#include "codegen/codegen.h"
#include "codegen/llvm_headers.h"
#include "codegen/optimize.h"
#include "jit/runtime_jit.h"
#include "rt_symbols.h"

namespace sgl::jit {

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::string error_text(llvm::Error e) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << e;
  return os.str();
}

std::unique_ptr<llvm::orc::LLJIT> make_runtime_jit(std::string& error) {
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) {
    error = "LLVM cannot target this host: " + error_text(jtmb.takeError());
    return nullptr;
  }
  // ORC's native platform wants a "process symbols" JITDylib; ours holds only the table, so
  // generated code resolves rt.h functions and nothing else from this process.
  auto publish_runtime = [](llvm::orc::LLJIT& j) -> llvm::Expected<llvm::orc::JITDylibSP> {
    llvm::orc::JITDylib& jd = j.getExecutionSession().createBareJITDylib("<sgl runtime>");
    llvm::orc::SymbolMap symbols;
    auto publish = [&](const char* name, void* address) {
      symbols[j.mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                                          llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable};
    };
    for (const RtSymbol& s : rt_symbols()) publish(s.name, s.address);
    // LLVM may turn loops into calls to these (they are what its memory intrinsics lower to).
    publish("memcpy", reinterpret_cast<void*>(&std::memcpy));
    publish("memmove", reinterpret_cast<void*>(&std::memmove));
    publish("memset", reinterpret_cast<void*>(&std::memset));
    if (llvm::Error e = jd.define(llvm::orc::absoluteSymbols(std::move(symbols)))) return e;
    return &jd;
  };
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*jtmb))
                 .setProcessSymbolsJITDylibSetup(publish_runtime)
                 .create();
  if (!jit) {
    error = "cannot start the JIT: " + error_text(jit.takeError());
    return nullptr;
  }
  return std::move(*jit);
}

struct JitProgram::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

JitProgram::JitProgram() : impl_(std::make_unique<Impl>()) {}
JitProgram::~JitProgram() = default;

bool abi_matches(const sgl_module& m, std::string& error) {
  int32_t rt = sgl_rt_abi_version();
  if (m.abi_version == rt) return true;
  error = "the program was compiled for runtime ABI version " + std::to_string(m.abi_version) +
          ", but this runtime has version " + std::to_string(rt);
  return false;
}

std::unique_ptr<JitProgram> JitProgram::compile(const ir::Module& m, std::string& error, JitTimes* times) {
  JitTimes local;
  JitTimes& t = times ? *times : local;
  auto t0 = std::chrono::steady_clock::now();
  auto ctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> mod = codegen::emit_llvm(m, *ctx);
  t.codegen_ms = ms_since(t0);

  t0 = std::chrono::steady_clock::now();
  std::unique_ptr<llvm::TargetMachine> tm = codegen::host_target_machine(error);
  if (!tm) return nullptr;
  codegen::optimize(*mod, *tm);
  t.optimize_ms = ms_since(t0);

  t0 = std::chrono::steady_clock::now();
  std::unique_ptr<llvm::orc::LLJIT> jit = make_runtime_jit(error);
  if (!jit) return nullptr;
  mod->setDataLayout(jit->getDataLayout());
  if (llvm::Error e = jit->addIRModule(llvm::orc::ThreadSafeModule(std::move(mod), std::move(ctx)))) {
    error = "cannot add the program to the JIT: " + error_text(std::move(e));
    return nullptr;
  }
  auto addr = jit->lookup(SGL_MODULE_SYMBOL);
  if (!addr) {
    error = "cannot link the program: " + error_text(addr.takeError());
    return nullptr;
  }
  t.jit_ms = ms_since(t0);
  std::unique_ptr<JitProgram> p(new JitProgram());
  p->impl_->jit = std::move(jit);
  p->module_ = addr->toPtr<const sgl_module*>();
  if (!abi_matches(*p->module_, error)) return nullptr;
  return p;
}

}  // namespace sgl::jit
