// Lowered SGL IR → LLVM IR. Every IR function becomes an internal LLVM function returning the
// rt.h status (0 ok, negative: return it at once); values live in registers of their machine type
// (i1, i64, double, ptr) and cross the ABI as uint64_t bits; slots become allocas for mem2reg.
// Constant strings are sgl_str globals and every runtime-error point gets an sgl_loc global.
#include "codegen/codegen.h"

#include <algorithm>
#include <map>

#include "codegen/llvm_headers.h"
#include "codegen/optimize.h"
#include "internal_error.h"
#include "sgl/rt.h"

namespace sgl::codegen {

namespace {

using ir::Op;

class Codegen {
 public:
  Codegen(const ir::Module& m, llvm::LLVMContext& c)
      : m_(m), C(c), M(std::make_unique<llvm::Module>(m.source_file, c)), B(c) {
    i1 = llvm::Type::getInt1Ty(C);
    i8 = llvm::Type::getInt8Ty(C);
    i32 = llvm::Type::getInt32Ty(C);
    i64 = llvm::Type::getInt64Ty(C);
    f64 = llvm::Type::getDoubleTy(C);
    ptr = llvm::PointerType::getUnqual(C);
    void_ = llvm::Type::getVoidTy(C);
    str_ty = llvm::StructType::create(C, {ptr, i64}, "sgl_str");
    loc_ty = llvm::StructType::create(C, {ptr, i32, i32}, "sgl_loc");
    param_ty = llvm::StructType::create(C, {ptr, ptr, ptr}, "sgl_param");
    module_ty = llvm::StructType::create(C, {i32, ptr, i32, ptr, ptr, ptr}, "sgl_module");
  }

  std::unique_ptr<llvm::Module> run() {
    for (const auto& f : m_.functions) declare(*f);
    for (const auto& f : m_.functions) define(*f);
    emit_descriptor();
    std::string err;
    llvm::raw_string_ostream os(err);
    if (llvm::verifyModule(*M, &os)) internal_error("codegen produced invalid LLVM IR:\n" + os.str());
    return std::move(M);
  }

 private:
  // ------------------------------------------------------------------ types and constants
  llvm::Type* mtype(const ir::Type& t) {
    switch (ir::kind_of(t)) {
      case ir::Kind::Void: return void_;
      case ir::Kind::Bool: return i1;
      case ir::Kind::Int: return i64;
      case ir::Kind::Float: return f64;
      default: return ptr;
    }
  }
  llvm::Constant* c32(int64_t v) { return llvm::ConstantInt::get(i32, static_cast<uint64_t>(v), true); }
  llvm::Constant* c64(int64_t v) { return llvm::ConstantInt::get(i64, static_cast<uint64_t>(v), true); }
  llvm::Constant* null() { return llvm::ConstantPointerNull::get(ptr); }

  // A NUL-terminated C string (names, type descriptors, file names), shared by content.
  llvm::Constant* cstr(const std::string& s) {
    auto it = cstrs_.find(s);
    if (it != cstrs_.end()) return it->second;
    llvm::Constant* init = llvm::ConstantDataArray::getString(C, s, true);
    auto* g = new llvm::GlobalVariable(*M, init->getType(), true, llvm::GlobalValue::PrivateLinkage, init, ".cstr");
    g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    g->setAlignment(llvm::Align(1));
    return cstrs_[s] = g;
  }
  // A constant `sgl_str` (the ABI's layout) whose address is the value of a const.str.
  llvm::Constant* str_global(const std::string& s) {
    auto it = strs_.find(s);
    if (it != strs_.end()) return it->second;
    llvm::Constant* bytes = cstr(s);
    llvm::Constant* init = llvm::ConstantStruct::get(str_ty, {bytes, c64(static_cast<int64_t>(s.size()))});
    auto* g = new llvm::GlobalVariable(*M, str_ty, true, llvm::GlobalValue::PrivateLinkage, init, ".str");
    g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    return strs_[s] = g;
  }
  // One `sgl_loc` constant per runtime-error point.
  llvm::Constant* loc_global(const ir::Loc& l) {
    if (!l.valid()) return null();
    auto key = std::make_tuple(l.file, l.line, l.col);
    auto it = locs_.find(key);
    if (it != locs_.end()) return it->second;
    const std::string& file = l.file < static_cast<int>(m_.files.size()) ? m_.files[l.file] : m_.source_file;
    llvm::Constant* init = llvm::ConstantStruct::get(loc_ty, {cstr(file), c32(l.line), c32(l.col)});
    auto* g = new llvm::GlobalVariable(*M, loc_ty, true, llvm::GlobalValue::PrivateLinkage, init, ".loc");
    return locs_[key] = g;
  }

  // ------------------------------------------------------------------ the runtime's functions
  // Signatures in a tiny notation: return type, then parameters; v void, i int32_t, l int64_t,
  // d double, p pointer. They mirror rt.h exactly.
  llvm::FunctionCallee rt(const char* name) {
    static const std::map<std::string, const char*> sigs = {
        {"sgl_error", "i:ppp"},          {"sgl_alloc", "p:pl"},
        {"sgl_str_concat", "p:ppp"},     {"sgl_str_concat_n", "p:ppl"},
        {"sgl_str_from_int", "p:pl"},    {"sgl_str_from_float", "p:pd"},
        {"sgl_str_from_bool", "p:pi"},   {"sgl_to_str", "p:ppl"},
        {"sgl_str_eq", "i:pp"},          {"sgl_str_cmp", "i:pp"},
        {"sgl_value_eq", "i:pll"},       {"sgl_regex_get", "i:pppp"},
        {"sgl_regex_search", "i:pp"},    {"sgl_list_new", "p:ppl"},
        {"sgl_list_push", "v:ppl"},      {"sgl_list_len", "l:p"},
        {"sgl_list_get", "i:pplpp"},     {"sgl_list_concat", "p:ppp"},
        {"sgl_str_len", "l:p"},          {"sgl_int_from_str", "i:pppp"},
        {"sgl_float_from_str", "i:pppp"}, {"sgl_int_from_float", "i:pdpp"},
        {"sgl_join", "p:ppp"},           {"sgl_split", "i:ppppp"},
        {"sgl_trim", "p:pp"},            {"sgl_str_contains", "i:pp"},
        {"sgl_list_contains", "i:pl"},   {"sgl_range", "p:pll"},
        {"sgl_print_begin", "v:p"},      {"sgl_print_value", "v:ppl"},
        {"sgl_print_end", "v:p"},        {"sgl_text", "p:p"},
        {"sgl_append", "v:pp"},          {"sgl_role_begin", "v:pi"},
        {"sgl_role_end", "v:pi"},        {"sgl_gen_opts_new", "p:pp"},
        {"sgl_gen_set_int", "v:pil"},    {"sgl_gen_set_float", "v:pid"},
        {"sgl_gen_set_str", "v:pip"},    {"sgl_gen_constrain", "v:pip"},
        {"sgl_gen", "i:ppppp"},          {"sgl_select", "i:pppipp"},
        {"sgl_fork_begin", "i:plpp"},    {"sgl_fork_start", "v:pplppl"},
        {"sgl_fork_join", "i:pppp"},     {"sgl_branch_var", "i:pppppp"},
        {"sgl_branch_text", "p:pp"},     {"sgl_branches_var", "i:pppppp"},
        {"sgl_spawn", "p:ppp"},          {"sgl_task_result", "i:pppp"},
        {"sgl_task_text", "i:pppp"},     {"sgl_task_var", "i:pppppp"},
        {"sgl_obj_get", "i:pppppp"},
    };
    auto it = sigs.find(name);
    if (it == sigs.end()) internal_error(std::string("codegen: no signature for runtime function ") + name);
    auto t = [&](char c) -> llvm::Type* {
      switch (c) {
        case 'v': return void_;
        case 'i': return i32;
        case 'l': return i64;
        case 'd': return f64;
        default: return ptr;
      }
    };
    const char* sig = it->second;
    std::vector<llvm::Type*> params;
    for (const char* p = sig + 2; *p; ++p) params.push_back(t(*p));
    auto* fty = llvm::FunctionType::get(t(sig[0]), params, false);
    llvm::FunctionCallee callee = M->getOrInsertFunction(name, fty);
    if (auto* fn = llvm::dyn_cast<llvm::Function>(callee.getCallee())) fn->setDoesNotThrow();
    return callee;
  }
  llvm::Value* call(const char* name, std::vector<llvm::Value*> args) { return B.CreateCall(rt(name), args); }

  // ------------------------------------------------------------------ bits
  llvm::Value* to_bits(llvm::Value* v, const ir::Type& t) {
    switch (ir::kind_of(t)) {
      case ir::Kind::Int: return v;
      case ir::Kind::Float: return B.CreateBitCast(v, i64);
      case ir::Kind::Bool: return B.CreateZExt(v, i64);
      default: return B.CreatePtrToInt(v, i64);
    }
  }
  llvm::Value* from_bits(llvm::Value* bits, const ir::Type& t) {
    switch (ir::kind_of(t)) {
      case ir::Kind::Int: return bits;
      case ir::Kind::Float: return B.CreateBitCast(bits, f64);
      case ir::Kind::Bool: return B.CreateICmpNE(bits, c64(0));
      default: return B.CreateIntToPtr(bits, ptr);
    }
  }

  // ------------------------------------------------------------------ functions
  void declare(const ir::Function& f) {
    std::vector<llvm::Type*> params = {ptr};
    switch (f.kind) {
      case ir::FnKind::Normal:
        for (const ir::Param& p : f.params) params.push_back(mtype(p.type));
        if (!f.ret.is_void()) params.push_back(ptr);
        break;
      case ir::FnKind::Branch: params.insert(params.end(), {ptr, i64, i64}); break;
      case ir::FnKind::Spawn: params.insert(params.end(), {ptr, ptr}); break;
      case ir::FnKind::Prefix: break;
    }
    auto* fty = llvm::FunctionType::get(i32, params, false);
    auto* fn = llvm::Function::Create(fty, llvm::GlobalValue::InternalLinkage, "sgl." + f.name, *M);
    fn->setDoesNotThrow();
    fns_[f.name] = fn;
  }

  llvm::AllocaInst* entry_alloca(llvm::Type* t, const char* name) {
    llvm::IRBuilder<> eb(&fn_->getEntryBlock(), fn_->getEntryBlock().begin());
    return eb.CreateAlloca(t, nullptr, name);
  }

  void define(const ir::Function& f) {
    f_ = &f;
    fn_ = fns_[f.name];
    ctx_ = fn_->getArg(0);
    vals_.assign(f.value_types.size(), nullptr);
    blocks_.clear();
    auto* entry = llvm::BasicBlock::Create(C, "entry", fn_);
    for (const ir::Block& b : f.blocks) blocks_.push_back(llvm::BasicBlock::Create(C, b.name, fn_));
    B.SetInsertPoint(entry);
    slots_.clear();
    for (const ir::Slot& s : f.slots) {
      llvm::Type* t = mtype(s.type);
      llvm::AllocaInst* a = B.CreateAlloca(t, nullptr, s.name);
      slots_.push_back(a);
    }
    for (size_t i = 0; i < f.slots.size(); ++i) B.CreateStore(llvm::Constant::getNullValue(mtype(f.slots[i].type)), slots_[i]);
    switch (f.kind) {
      case ir::FnKind::Normal:
        for (size_t i = 0; i < f.params.size(); ++i) vals_[i] = fn_->getArg(static_cast<unsigned>(i + 1));
        out_ = f.ret.is_void() ? nullptr : fn_->getArg(static_cast<unsigned>(f.params.size() + 1));
        break;
      case ir::FnKind::Branch:
        vals_[0] = fn_->getArg(1);
        vals_[1] = fn_->getArg(2);
        vals_[2] = from_bits(fn_->getArg(3), f.params[2].type);
        out_ = nullptr;
        break;
      case ir::FnKind::Spawn:
        vals_[0] = fn_->getArg(1);
        out_ = fn_->getArg(2);
        break;
      case ir::FnKind::Prefix: out_ = nullptr; break;
    }
    B.CreateBr(blocks_[0]);
    // Reverse post-order visits a value's definition before its uses (definitions dominate
    // uses); block numbers do not, since passes append blocks (e.g. a fork's join) at the end.
    for (int b : reverse_post_order(f)) {
      B.SetInsertPoint(blocks_[b]);
      for (const ir::Inst& in : f.blocks[b].insts) inst(in);
    }
  }

  static std::vector<int> reverse_post_order(const ir::Function& f) {
    std::vector<int> order;
    std::vector<char> seen(f.blocks.size(), 0);
    std::vector<std::pair<int, size_t>> stack = {{0, 0}};
    seen[0] = 1;
    while (!stack.empty()) {
      auto& [b, next] = stack.back();
      const std::vector<int>& succ = f.blocks[b].insts.back().targets;
      if (next < succ.size()) {
        int t = succ[next++];
        if (!seen[t]) {
          seen[t] = 1;
          stack.push_back({t, 0});
        }
      } else {
        order.push_back(b);
        stack.pop_back();
      }
    }
    std::reverse(order.begin(), order.end());
    for (size_t b = 0; b < f.blocks.size(); ++b)
      if (!seen[b]) order.push_back(static_cast<int>(b));  // unreachable: still needs a body
    return order;
  }

  llvm::Value* v(int id) {
    llvm::Value* x = vals_.at(id);
    if (!x) internal_error("codegen: %" + std::to_string(id) + " used before it was generated in " + f_->name);
    return x;
  }
  void def(const ir::Inst& in, llvm::Value* x) {
    if (in.result >= 0) vals_[in.result] = x;
  }

  // Returns the status at once when it is not SGL_OK (the rt.h rule).
  void check(llvm::Value* status) {
    auto* fail = llvm::BasicBlock::Create(C, "fail", fn_);
    auto* ok = llvm::BasicBlock::Create(C, "ok", fn_);
    llvm::MDBuilder md(C);
    B.CreateCondBr(B.CreateICmpNE(status, c32(SGL_OK)), fail, ok, md.createBranchWeights(1, 1000));
    B.SetInsertPoint(fail);
    B.CreateRet(status);
    B.SetInsertPoint(ok);
  }
  // Calls a runtime function whose last argument is an out-pointer and returns what it wrote.
  llvm::Value* call_out(const char* name, std::vector<llvm::Value*> args, llvm::Type* out_type) {
    llvm::AllocaInst* out = entry_alloca(out_type, "out");
    args.push_back(out);
    check(call(name, args));
    return B.CreateLoad(out_type, out);
  }
  // Calls a runtime function with (..., loc, uint64_t* out) and converts the bits to `t`.
  llvm::Value* call_bits(const char* name, std::vector<llvm::Value*> args, const ir::Inst& in, const ir::Type& t) {
    args.push_back(loc_global(in.loc));
    return from_bits(call_out(name, std::move(args), i64), t);
  }
  llvm::Value* runtime_error(const ir::Inst& in, const char* message) {
    return call("sgl_error", {ctx_, loc_global(in.loc), cstr(message)});
  }

  void inst(const ir::Inst& in) {
    const auto& a = in.args;
    auto T = [&](int i) -> const ir::Type& { return f_->value_types[a[i]]; };
    switch (in.op) {
      case Op::ConstStr: def(in, str_global(in.str)); break;
      case Op::ConstInt: def(in, c64(in.imm)); break;
      case Op::ConstFloat: def(in, llvm::ConstantFP::get(f64, in.fimm)); break;
      case Op::ConstBool: def(in, llvm::ConstantInt::get(i1, in.imm != 0)); break;
      case Op::Load: def(in, B.CreateLoad(mtype(in.type), slots_[in.imm])); break;
      case Op::Store: B.CreateStore(v(a[0]), slots_[in.imm]); break;
      case Op::IAdd: def(in, B.CreateAdd(v(a[0]), v(a[1]))); break;
      case Op::ISub: def(in, B.CreateSub(v(a[0]), v(a[1]))); break;
      case Op::IMul: def(in, B.CreateMul(v(a[0]), v(a[1]))); break;
      case Op::IDiv: case Op::IMod: def(in, int_division(in)); break;
      case Op::INeg: def(in, B.CreateNeg(v(a[0]))); break;
      case Op::FAdd: def(in, B.CreateFAdd(v(a[0]), v(a[1]))); break;
      case Op::FSub: def(in, B.CreateFSub(v(a[0]), v(a[1]))); break;
      case Op::FMul: def(in, B.CreateFMul(v(a[0]), v(a[1]))); break;
      case Op::FDiv: def(in, B.CreateFDiv(v(a[0]), v(a[1]))); break;
      case Op::FNeg: def(in, B.CreateFNeg(v(a[0]))); break;
      case Op::IToF: def(in, B.CreateSIToFP(v(a[0]), f64)); break;
      case Op::BoolToInt: def(in, B.CreateZExt(v(a[0]), i64)); break;
      case Op::Not: def(in, B.CreateNot(v(a[0]))); break;
      case Op::ICmp: {
        static const llvm::CmpInst::Predicate p[] = {llvm::CmpInst::ICMP_EQ, llvm::CmpInst::ICMP_NE, llvm::CmpInst::ICMP_SLT,
                                                     llvm::CmpInst::ICMP_SLE, llvm::CmpInst::ICMP_SGT, llvm::CmpInst::ICMP_SGE};
        def(in, B.CreateICmp(p[in.imm], v(a[0]), v(a[1])));
        break;
      }
      case Op::FCmp: {
        // Ordered comparisons, except != which is true for NaN (as in C).
        static const llvm::CmpInst::Predicate p[] = {llvm::CmpInst::FCMP_OEQ, llvm::CmpInst::FCMP_UNE, llvm::CmpInst::FCMP_OLT,
                                                     llvm::CmpInst::FCMP_OLE, llvm::CmpInst::FCMP_OGT, llvm::CmpInst::FCMP_OGE};
        def(in, B.CreateFCmp(p[in.imm], v(a[0]), v(a[1])));
        break;
      }
      case Op::Concat: def(in, concat(in)); break;
      case Op::ToStr: def(in, to_str(v(a[0]), T(0))); break;
      case Op::StrLen: def(in, call("sgl_str_len", {v(a[0])})); break;
      case Op::StrEq: def(in, B.CreateICmpNE(call("sgl_str_eq", {v(a[0]), v(a[1])}), c32(0))); break;
      case Op::StrCmp: def(in, B.CreateSExt(call("sgl_str_cmp", {v(a[0]), v(a[1])}), i64)); break;
      case Op::ValueEq:
        def(in, B.CreateICmpNE(call("sgl_value_eq", {cstr(T(0).desc), to_bits(v(a[0]), T(0)), to_bits(v(a[1]), T(1))}), c32(0)));
        break;
      case Op::RegexMatch: {
        llvm::Value* re = call_out("sgl_regex_get", {ctx_, v(a[1]), loc_global(in.loc)}, ptr);
        def(in, B.CreateICmpNE(call("sgl_regex_search", {re, v(a[0])}), c32(0)));
        break;
      }
      case Op::Convert:
        def(in, from_bits(B.CreateCall(convert_fn(T(0).desc, in.type.desc), {ctx_, to_bits(v(a[0]), T(0))}), in.type));
        break;
      case Op::ListNew: def(in, call("sgl_list_new", {ctx_, cstr(in.type.elem().desc), c64(in.imm)})); break;
      case Op::ListPush: call("sgl_list_push", {ctx_, v(a[0]), to_bits(v(a[1]), T(1))}); break;
      case Op::ListLen: def(in, call("sgl_list_len", {v(a[0])})); break;
      case Op::ListGet: def(in, call_bits("sgl_list_get", {ctx_, v(a[0]), v(a[1])}, in, in.type)); break;
      case Op::ListConcat: def(in, call("sgl_list_concat", {ctx_, v(a[0]), v(a[1])})); break;
      case Op::IntFromStr: def(in, call_out("sgl_int_from_str", {ctx_, v(a[0]), loc_global(in.loc)}, i64)); break;
      case Op::FloatFromStr: def(in, call_out("sgl_float_from_str", {ctx_, v(a[0]), loc_global(in.loc)}, f64)); break;
      case Op::IntFromFloat: def(in, call_out("sgl_int_from_float", {ctx_, v(a[0]), loc_global(in.loc)}, i64)); break;
      case Op::Join: def(in, call("sgl_join", {ctx_, v(a[0]), a.size() > 1 ? v(a[1]) : null()})); break;
      case Op::Split: def(in, call_out("sgl_split", {ctx_, v(a[0]), v(a[1]), loc_global(in.loc)}, ptr)); break;
      case Op::Trim: def(in, call("sgl_trim", {ctx_, v(a[0])})); break;
      case Op::StrContains: def(in, B.CreateICmpNE(call("sgl_str_contains", {v(a[0]), v(a[1])}), c32(0))); break;
      case Op::ListContains:
        def(in, B.CreateICmpNE(call("sgl_list_contains", {v(a[0]), to_bits(v(a[1]), T(1))}), c32(0)));
        break;
      case Op::Range: def(in, call("sgl_range", {ctx_, v(a[0]), v(a[1])})); break;
      case Op::Print:
        call("sgl_print_begin", {ctx_});
        for (size_t i = 0; i < a.size(); ++i) call("sgl_print_value", {ctx_, cstr(T(static_cast<int>(i)).desc), to_bits(v(a[i]), T(static_cast<int>(i)))});
        call("sgl_print_end", {ctx_});
        break;
      case Op::Text: def(in, call("sgl_text", {ctx_})); break;
      case Op::Append: call("sgl_append", {ctx_, v(a[0])}); break;
      case Op::RoleBegin: call("sgl_role_begin", {ctx_, c32(in.imm)}); break;
      case Op::RoleEnd: call("sgl_role_end", {ctx_, c32(in.imm)}); break;
      case Op::Gen: def(in, gen(in)); break;
      case Op::Select: {
        llvm::Value* name = in.str.empty() ? null() : cstr(in.str);
        llvm::Value* method = B.CreateTrunc(v(a[1]), i32);
        def(in, call_out("sgl_select", {ctx_, name, v(a[0]), method, loc_global(in.loc)}, ptr));
        break;
      }
      case Op::Fork: internal_error("codegen: fork was not lowered (run the fork pass first)");
      case Op::ForkBegin: def(in, call_out("sgl_fork_begin", {ctx_, v(a[0]), loc_global(in.loc)}, ptr)); break;
      case Op::ForkStart:
        call("sgl_fork_start", {ctx_, v(a[0]), v(a[1]), fns_.at(in.str), v(a[2]), to_bits(v(a[3]), T(3))});
        break;
      case Op::ForkJoin: def(in, call_out("sgl_fork_join", {ctx_, v(a[0]), loc_global(in.loc)}, ptr)); break;
      case Op::EnvNew:
        def(in, in.imm == 0 ? static_cast<llvm::Value*>(null()) : call("sgl_alloc", {ctx_, c64(in.imm * 8)}));
        break;
      case Op::EnvStore: B.CreateStore(to_bits(v(a[1]), T(1)), B.CreateConstGEP1_64(i64, v(a[0]), static_cast<uint64_t>(in.imm))); break;
      case Op::EnvLoad:
        def(in, from_bits(B.CreateLoad(i64, B.CreateConstGEP1_64(i64, v(a[0]), static_cast<uint64_t>(in.imm))), in.type));
        break;
      case Op::BranchVar:
        def(in, call_bits("sgl_branch_var", {ctx_, v(a[0]), cstr(in.str), cstr(in.type.desc)}, in, in.type));
        break;
      case Op::BranchText: def(in, call("sgl_branch_text", {ctx_, v(a[0])})); break;
      case Op::BranchesVar:
        def(in, call_out("sgl_branches_var", {ctx_, v(a[0]), cstr(in.str), cstr(in.type.elem().desc), loc_global(in.loc)}, ptr));
        break;
      case Op::Spawn: def(in, call("sgl_spawn", {ctx_, fns_.at(in.str), v(a[0])})); break;
      case Op::TaskResult: def(in, call_bits("sgl_task_result", {ctx_, v(a[0])}, in, in.type)); break;
      case Op::TaskText: def(in, call_out("sgl_task_text", {ctx_, v(a[0]), loc_global(in.loc)}, ptr)); break;
      case Op::TaskVar: def(in, call_bits("sgl_task_var", {ctx_, v(a[0]), cstr(in.str), cstr(in.type.desc)}, in, in.type)); break;
      case Op::ObjGet: def(in, call_bits("sgl_obj_get", {ctx_, v(a[0]), cstr(in.str), cstr(in.type.desc)}, in, in.type)); break;
      case Op::Call: {
        std::vector<llvm::Value*> args = {ctx_};
        for (int x : a) args.push_back(v(x));
        llvm::AllocaInst* out = nullptr;
        if (!in.type.is_void()) {
          out = entry_alloca(mtype(in.type), "ret");
          args.push_back(out);
        }
        check(B.CreateCall(fns_.at(in.str), args));
        if (out) def(in, B.CreateLoad(mtype(in.type), out));
        break;
      }
      case Op::Br: B.CreateBr(blocks_[in.targets[0]]); break;
      case Op::CondBr: B.CreateCondBr(v(a[0]), blocks_[in.targets[0]], blocks_[in.targets[1]]); break;
      case Op::Ret:
        if (!a.empty() && out_) {
          if (f_->kind == ir::FnKind::Spawn) B.CreateStore(to_bits(v(a[0]), T(0)), out_);
          else B.CreateStore(v(a[0]), out_);
        }
        B.CreateRet(c32(SGL_OK));
        break;
      case Op::Unreachable: B.CreateUnreachable(); break;
    }
  }

  // Integer / and %: truncating, like C. Division by zero is a runtime error; INT64_MIN / -1
  // wraps (as + and * do) instead of trapping.
  llvm::Value* int_division(const ir::Inst& in) {
    llvm::Value* x = v(in.args[0]);
    llvm::Value* y = v(in.args[1]);
    auto* bad = llvm::BasicBlock::Create(C, "div.zero", fn_);
    auto* ok = llvm::BasicBlock::Create(C, "div.ok", fn_);
    llvm::MDBuilder md(C);
    B.CreateCondBr(B.CreateICmpEQ(y, c64(0)), bad, ok, md.createBranchWeights(1, 1000));
    B.SetInsertPoint(bad);
    B.CreateRet(runtime_error(in, in.op == Op::IDiv ? "division by zero" : "modulo by zero"));
    B.SetInsertPoint(ok);
    llvm::Value* minus_one = B.CreateICmpEQ(y, c64(-1));
    llvm::Value* safe = B.CreateSelect(minus_one, c64(1), y);
    if (in.op == Op::IDiv) return B.CreateSelect(minus_one, B.CreateNeg(x), B.CreateSDiv(x, safe));
    return B.CreateSelect(minus_one, c64(0), B.CreateSRem(x, safe));
  }

  llvm::Value* concat(const ir::Inst& in) {
    const auto& a = in.args;
    if (a.size() == 1) return v(a[0]);
    if (a.size() == 2) return call("sgl_str_concat", {ctx_, v(a[0]), v(a[1])});
    auto* arr_ty = llvm::ArrayType::get(ptr, a.size());
    llvm::AllocaInst* parts = entry_alloca(arr_ty, "parts");
    for (size_t i = 0; i < a.size(); ++i) B.CreateStore(v(a[i]), B.CreateConstGEP2_64(arr_ty, parts, 0, i));
    return call("sgl_str_concat_n", {ctx_, parts, c64(static_cast<int64_t>(a.size()))});
  }

  llvm::Value* to_str(llvm::Value* x, const ir::Type& t) {
    switch (ir::kind_of(t)) {
      case ir::Kind::Str: return x;
      case ir::Kind::Int: return call("sgl_str_from_int", {ctx_, x});
      case ir::Kind::Float: return call("sgl_str_from_float", {ctx_, x});
      case ir::Kind::Bool: return call("sgl_str_from_bool", {ctx_, B.CreateZExt(x, i32)});
      default: return call("sgl_to_str", {ctx_, cstr(t.desc), to_bits(x, t)});
    }
  }

  // Calls `each(item_bits)` for every item of `list` (a loop in the current function).
  template <class F>
  void for_each_item(llvm::Value* list, F each) {
    llvm::Value* n = call("sgl_list_len", {list});
    llvm::BasicBlock* pre = B.GetInsertBlock();
    auto* head = llvm::BasicBlock::Create(C, "items.head", B.GetInsertBlock()->getParent());
    auto* body = llvm::BasicBlock::Create(C, "items.body", B.GetInsertBlock()->getParent());
    auto* done = llvm::BasicBlock::Create(C, "items.done", B.GetInsertBlock()->getParent());
    B.CreateBr(head);
    B.SetInsertPoint(head);
    llvm::PHINode* i = B.CreatePHI(i64, 2, "i");
    i->addIncoming(c64(0), pre);
    B.CreateCondBr(B.CreateICmpSLT(i, n), body, done);
    B.SetInsertPoint(body);
    llvm::AllocaInst* out = entry_alloca(i64, "item");
    // In range by construction, so sgl_list_get cannot fail here.
    B.CreateCall(rt("sgl_list_get"), {cur_ctx_for_items_, list, i, null(), out});
    each(B.CreateLoad(i64, out));
    i->addIncoming(B.CreateAdd(i, c64(1)), B.GetInsertBlock());
    B.CreateBr(head);
    B.SetInsertPoint(done);
  }

  llvm::Value* gen(const ir::Inst& in) {
    llvm::Value* opts = call("sgl_gen_opts_new", {ctx_, in.str.empty() ? null() : cstr(in.str)});
    for (size_t k = 0; k < in.keys.size(); ++k) {
      const std::string& key = in.keys[k];
      llvm::Value* x = v(in.args[k]);
      const ir::Type& t = f_->value_types[in.args[k]];
      int32_t id = option_id(key);
      switch (ir::kind_of(t)) {
        case ir::Kind::Int: call("sgl_gen_set_int", {opts, c32(id), x}); break;
        case ir::Kind::Bool: call("sgl_gen_set_int", {opts, c32(id), B.CreateZExt(x, i64)}); break;
        case ir::Kind::Float: call("sgl_gen_set_float", {opts, c32(id), x}); break;
        case ir::Kind::Str: call("sgl_gen_set_str", {opts, c32(id), x}); break;
        case ir::Kind::List: {
          // stop: ["a", "b"] and stop_token_ids: [1, 2] set the option once per item.
          bool strings = ir::kind_of(t.elem()) == ir::Kind::Str;
          cur_ctx_for_items_ = ctx_;
          for_each_item(x, [&](llvm::Value* bits) {
            if (strings) call("sgl_gen_set_str", {opts, c32(id), B.CreateIntToPtr(bits, ptr)});
            else call("sgl_gen_set_int", {opts, c32(id), bits});
          });
          break;
        }
        default: internal_error("codegen: gen option " + key + " has an unexpected type");
      }
    }
    if (in.constraint == ir::ConstraintKind::Regex || in.constraint == ir::ConstraintKind::Json) {
      int32_t kind = in.constraint == ir::ConstraintKind::Regex ? SGL_CONSTRAINT_REGEX : SGL_CONSTRAINT_JSON_SCHEMA;
      call("sgl_gen_constrain", {opts, c32(kind), v(in.args.back())});
    } else if (in.constraint == ir::ConstraintKind::Typed) {
      internal_error("codegen: typed gen was not lowered (run the constraint pass first)");
    }
    return call_bits("sgl_gen", {ctx_, opts, cstr(in.type.desc)}, in, in.type);
  }

  static int32_t option_id(const std::string& key) {
    static const std::map<std::string, int32_t> ids = {
        {"max_tokens", SGL_OPT_MAX_TOKENS},       {"min_tokens", SGL_OPT_MIN_TOKENS},
        {"stop", SGL_OPT_STOP},                   {"stop_token_ids", SGL_OPT_STOP_TOKEN_ID},
        {"temperature", SGL_OPT_TEMPERATURE},     {"top_p", SGL_OPT_TOP_P},
        {"top_k", SGL_OPT_TOP_K},                 {"min_p", SGL_OPT_MIN_P},
        {"frequency_penalty", SGL_OPT_FREQUENCY_PENALTY}, {"presence_penalty", SGL_OPT_PRESENCE_PENALTY},
        {"ignore_eos", SGL_OPT_IGNORE_EOS},       {"seed", SGL_OPT_SEED},
        {"logprobs", SGL_OPT_LOGPROBS},           {"top_logprobs", SGL_OPT_TOP_LOGPROBS},
    };
    auto it = ids.find(key);
    if (it == ids.end()) internal_error("codegen: unknown gen option " + key);
    return it->second;
  }

  // `i64 convert(ctx, bits)`: int → float at every level of a list (list[int] fits list[float]).
  llvm::Function* convert_fn(const std::string& from, const std::string& to) {
    std::string name = "sgl.convert." + from + "." + to;
    if (llvm::Function* f = M->getFunction(name)) return f;
    auto* fty = llvm::FunctionType::get(i64, {ptr, i64}, false);
    auto* fn = llvm::Function::Create(fty, llvm::GlobalValue::InternalLinkage, name, *M);
    llvm::IRBuilderBase::InsertPointGuard guard(B);
    llvm::Function* saved_fn = fn_;
    llvm::Value* saved_ctx = cur_ctx_for_items_;
    fn_ = fn;
    B.SetInsertPoint(llvm::BasicBlock::Create(C, "entry", fn));
    llvm::Value* c = fn->getArg(0);
    llvm::Value* bits = fn->getArg(1);
    if (from == "i" && to == "f") {
      B.CreateRet(B.CreateBitCast(B.CreateSIToFP(bits, f64), i64));
    } else if (from.size() > 1 && from[0] == 'L' && to[0] == 'L') {
      std::string fe = from.substr(1), te = to.substr(1);
      llvm::Value* list = B.CreateIntToPtr(bits, ptr);
      llvm::Value* out = B.CreateCall(rt("sgl_list_new"), {c, cstr(te), B.CreateCall(rt("sgl_list_len"), {list})});
      cur_ctx_for_items_ = c;
      llvm::Function* inner = fe == te ? nullptr : convert_fn(fe, te);
      for_each_item(list, [&](llvm::Value* item) {
        llvm::Value* x = inner ? B.CreateCall(inner, {c, item}) : item;
        B.CreateCall(rt("sgl_list_push"), {c, out, x});
      });
      B.CreateRet(B.CreatePtrToInt(out, i64));
    } else {
      B.CreateRet(bits);
    }
    fn_ = saved_fn;
    cur_ctx_for_items_ = saved_ctx;
    return fn;
  }

  // ------------------------------------------------------------------ the module descriptor
  void emit_descriptor() {
    // int32_t main_entry(sgl_ctx*, const uint64_t* args): unpacks main's parameters.
    const ir::Function* main = m_.find(m_.main);
    if (!main) internal_error("codegen: the module has no main function");
    auto* entry_ty = llvm::FunctionType::get(i32, {ptr, ptr}, false);
    auto* entry = llvm::Function::Create(entry_ty, llvm::GlobalValue::InternalLinkage, "sgl.main.entry", *M);
    B.SetInsertPoint(llvm::BasicBlock::Create(C, "entry", entry));
    std::vector<llvm::Value*> args = {entry->getArg(0)};
    for (size_t i = 0; i < main->params.size(); ++i) {
      llvm::Value* bits = B.CreateLoad(i64, B.CreateConstGEP1_64(i64, entry->getArg(1), i));
      args.push_back(from_bits(bits, main->params[i].type));
    }
    B.CreateRet(B.CreateCall(fns_.at(main->name), args));

    std::vector<llvm::Constant*> params;
    for (const ir::MainParam& p : m_.main_params) {
      params.push_back(llvm::ConstantStruct::get(
          param_ty, {cstr(p.name), cstr(p.type.desc), p.has_default ? cstr(p.default_text) : null()}));
    }
    llvm::Constant* param_array = null();
    if (!params.empty()) {
      auto* arr_ty = llvm::ArrayType::get(param_ty, params.size());
      param_array = new llvm::GlobalVariable(*M, arr_ty, true, llvm::GlobalValue::PrivateLinkage,
                                             llvm::ConstantArray::get(arr_ty, params), ".params");
    }
    llvm::Constant* prefix = m_.prefix.empty() ? null() : static_cast<llvm::Constant*>(fns_.at(m_.prefix));
    llvm::Constant* init = llvm::ConstantStruct::get(
        module_ty, {c32(SGL_RT_ABI_VERSION), cstr(m_.source_file), c32(static_cast<int64_t>(params.size())), param_array, entry, prefix});
    new llvm::GlobalVariable(*M, module_ty, true, llvm::GlobalValue::ExternalLinkage, init, SGL_MODULE_SYMBOL);
  }

  const ir::Module& m_;
  llvm::LLVMContext& C;
  std::unique_ptr<llvm::Module> M;
  llvm::IRBuilder<> B;
  llvm::Type *i1, *i8, *i32, *i64, *f64, *void_;
  llvm::PointerType* ptr;
  llvm::StructType *str_ty, *loc_ty, *param_ty, *module_ty;
  std::map<std::string, llvm::Function*> fns_;
  std::map<std::string, llvm::Constant*> cstrs_, strs_;
  std::map<std::tuple<int, int, int>, llvm::Constant*> locs_;
  // The function being generated.
  const ir::Function* f_ = nullptr;
  llvm::Function* fn_ = nullptr;
  llvm::Value* ctx_ = nullptr;
  llvm::Value* out_ = nullptr;
  llvm::Value* cur_ctx_for_items_ = nullptr;
  std::vector<llvm::Value*> vals_;
  std::vector<llvm::AllocaInst*> slots_;
  std::vector<llvm::BasicBlock*> blocks_;
};

}  // namespace

std::unique_ptr<llvm::Module> emit_llvm(const ir::Module& m, llvm::LLVMContext& ctx) { return Codegen(m, ctx).run(); }

std::string to_llvm_text(const llvm::Module& module) {
  std::string out;
  llvm::raw_string_ostream os(out);
  module.print(os, nullptr);
  return os.str();
}

std::string optimized_llvm_text(const ir::Module& m, std::string& error) {
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::Module> mod = emit_llvm(m, ctx);
  std::unique_ptr<llvm::TargetMachine> tm = host_target_machine(error);
  if (!tm) return "";
  optimize(*mod, *tm);
  return to_llvm_text(*mod);
}

}  // namespace sgl::codegen
