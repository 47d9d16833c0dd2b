// The SGL IR verifier: structural checks (terminators, targets), SSA checks (one definition,
// dominance) and per-op operand kinds, so a broken pass is caught before LLVM sees its output.
#include "ir/ir_verifier.h"

#include <map>

#include "internal_error.h"
#include "ir/ir_printer.h"

namespace sgl::ir {

namespace {

class Verifier {
 public:
  Verifier(const Module& m, Stage stage) : m_(m), stage_(stage) {}

  std::vector<std::string> run() {
    std::map<std::string, int> names;
    for (const auto& f : m_.functions) {
      if (++names[f->name] == 2) errors_.push_back("two functions are named " + f->name);
    }
    if (!m_.main.empty() && !m_.find(m_.main)) errors_.push_back("main function " + m_.main + " does not exist");
    if (!m_.prefix.empty()) {
      const Function* p = m_.find(m_.prefix);
      if (!p || p->kind != FnKind::Prefix) errors_.push_back("prefix function " + m_.prefix + " does not exist or is not a prefix fn");
    }
    for (const auto& f : m_.functions) function(*f);
    return errors_;
  }

 private:
  void fail(const std::string& msg) {
    std::string where = "fn " + fn_->name;
    if (block_ >= 0) where += ", block " + fn_->blocks[block_].name;
    if (inst_ >= 0) where += ", #" + std::to_string(inst_) + " " + to_string(fn_->blocks[block_].insts[inst_].op);
    errors_.push_back(where + ": " + msg);
  }

  void function(const Function& f) {
    fn_ = &f;
    block_ = inst_ = -1;
    int nvals = static_cast<int>(f.value_types.size());
    if (f.blocks.empty()) {
      fail("has no blocks");
      return;
    }
    if (static_cast<int>(f.params.size()) > nvals) fail("has more parameters than values");
    for (size_t i = 0; i < f.params.size() && static_cast<int>(i) < nvals; ++i) {
      if (f.value_types[i] != f.params[i].type) fail("parameter %" + std::to_string(i) + " has the wrong value type");
    }
    switch (f.kind) {
      case FnKind::Branch:
        if (f.params.size() != 3 || kind_of(f.params[0].type) != Kind::Env || kind_of(f.params[1].type) != Kind::Int)
          fail("a branch fn takes (env, index: int, item)");
        if (!f.ret.is_void()) fail("a branch fn returns nothing");
        break;
      case FnKind::Spawn:
        if (f.params.size() != 1 || kind_of(f.params[0].type) != Kind::Env) fail("a spawn fn takes (env)");
        break;
      case FnKind::Prefix:
        if (!f.params.empty() || !f.ret.is_void()) fail("a prefix fn takes nothing and returns nothing");
        break;
      case FnKind::Normal: break;
    }

    // Where each value is defined: (block, index); params are defined before the entry.
    def_block_.assign(nvals, -2);
    def_index_.assign(nvals, -1);
    for (size_t i = 0; i < f.params.size() && static_cast<int>(i) < nvals; ++i) def_block_[i] = -1;
    for (size_t b = 0; b < f.blocks.size(); ++b) {
      const Block& blk = f.blocks[b];
      for (size_t i = 0; i < blk.insts.size(); ++i) {
        int r = blk.insts[i].result;
        if (r < 0) continue;
        block_ = static_cast<int>(b);
        inst_ = static_cast<int>(i);
        if (r >= nvals) {
          fail("defines %" + std::to_string(r) + ", which has no value type");
        } else if (def_block_[r] != -2) {
          fail("defines %" + std::to_string(r) + " a second time");
        } else {
          def_block_[r] = static_cast<int>(b);
          def_index_[r] = static_cast<int>(i);
          if (f.value_types[r] != blk.insts[i].type) fail("result type differs from the value's type");
        }
      }
    }
    block_ = inst_ = -1;
    dominators();
    for (size_t b = 0; b < f.blocks.size(); ++b) {
      block_ = static_cast<int>(b);
      const Block& blk = f.blocks[b];
      inst_ = -1;
      if (blk.insts.empty()) {
        fail("is empty (every block ends in a terminator)");
        continue;
      }
      for (size_t i = 0; i < blk.insts.size(); ++i) {
        inst_ = static_cast<int>(i);
        const Inst& in = blk.insts[i];
        bool last = i + 1 == blk.insts.size();
        if (is_terminator(in.op) && !last) fail("a terminator in the middle of a block");
        if (!is_terminator(in.op) && last) fail("the block does not end in a terminator");
        for (int a : in.args) use(a, static_cast<int>(b), static_cast<int>(i));
        check(in);
      }
    }
    fn_ = nullptr;
  }

  // Iterative dominator sets; functions are small, so plain bit vectors are enough.
  void dominators() {
    size_t n = fn_->blocks.size();
    std::vector<std::vector<int>> preds(n);
    for (size_t b = 0; b < n; ++b) {
      if (fn_->blocks[b].insts.empty()) continue;
      for (int t : fn_->blocks[b].insts.back().targets)
        if (t >= 0 && static_cast<size_t>(t) < n) preds[t].push_back(static_cast<int>(b));
    }
    dom_.assign(n, std::vector<bool>(n, true));
    dom_[0].assign(n, false);
    dom_[0][0] = true;
    bool changed = true;
    while (changed) {
      changed = false;
      for (size_t b = 1; b < n; ++b) {
        std::vector<bool> d(n, true);
        if (preds[b].empty()) d.assign(n, false);  // unreachable: dominated by nothing but itself
        for (int p : preds[b])
          for (size_t k = 0; k < n; ++k) d[k] = d[k] && dom_[p][k];
        d[b] = true;
        if (d != dom_[b]) {
          dom_[b] = std::move(d);
          changed = true;
        }
      }
    }
  }

  void use(int v, int b, int i) {
    if (v < 0 || v >= static_cast<int>(def_block_.size())) {
      fail("uses %" + std::to_string(v) + ", which does not exist");
      return;
    }
    int db = def_block_[v];
    if (db == -2) {
      fail("uses %" + std::to_string(v) + ", which is never defined");
    } else if (db == b) {
      if (def_index_[v] >= i) fail("uses %" + std::to_string(v) + " before its definition");
    } else if (db >= 0 && !dom_[b][db]) {
      fail("uses %" + std::to_string(v) + ", whose definition does not dominate this use");
    }
  }

  Kind arg_kind(const Inst& in, size_t i) const {
    if (i >= in.args.size()) return Kind::Void;
    int v = in.args[i];
    if (v < 0 || v >= static_cast<int>(fn_->value_types.size())) return Kind::Void;
    return kind_of(fn_->value_types[v]);
  }
  const Type& arg_type(const Inst& in, size_t i) const {
    static const Type none;
    if (i >= in.args.size()) return none;
    int v = in.args[i];
    if (v < 0 || v >= static_cast<int>(fn_->value_types.size())) return none;
    return fn_->value_types[v];
  }

  void want_args(const Inst& in, std::initializer_list<Kind> kinds) {
    if (in.args.size() != kinds.size()) {
      fail("takes " + std::to_string(kinds.size()) + " operands, has " + std::to_string(in.args.size()));
      return;
    }
    size_t i = 0;
    for (Kind k : kinds) {
      Kind got = arg_kind(in, i);
      if (got != k) fail("operand " + std::to_string(i) + " is " + to_string(got) + ", expected " + to_string(k));
      ++i;
    }
  }
  void want_result(const Inst& in, Kind k) {
    if (kind_of(in.type) != k) fail(std::string("result is ") + to_string(kind_of(in.type)) + ", expected " + to_string(k));
    if (k != Kind::Void && in.result < 0) fail("has a result type but defines no value");
    if (k == Kind::Void && in.result >= 0) fail("defines a value but has no result type");
  }
  void want_target(const std::string& name, FnKind kind) {
    const Function* f = m_.find(name);
    if (!f) fail("calls " + name + ", which does not exist");
    else if (f->kind != kind) fail("needs a " + std::string(to_string(kind)) + ", but " + name + " is a " + to_string(f->kind));
  }
  void want_loc(const Inst& in) {
    if (!in.loc.valid()) fail("can fail at run time but has no source location");
    else if (in.loc.file >= static_cast<int>(m_.files.size())) fail("its location names a file that does not exist");
  }
  bool valid_desc(const std::string& d) const {
    size_t i = 0;
    while (i < d.size() && d[i] == 'L') ++i;
    return i + 1 == d.size() && std::string("seribfoBTFN").find(d[i]) != std::string::npos &&
           (i == 0 || std::string("FN").find(d[i]) == std::string::npos);
  }

  void check(const Inst& in) {
    if (!in.type.is_void() && !valid_desc(in.type.desc)) fail("bad type descriptor \"" + in.type.desc + "\"");
    if (can_fail(in.op) && in.op != Op::Call) want_loc(in);
    for (int t : in.targets)
      if (t < 0 || t >= static_cast<int>(fn_->blocks.size())) fail("branches to block " + std::to_string(t) + ", which does not exist");
    const Kind I = Kind::Int, F = Kind::Float, B = Kind::Bool, S = Kind::Str, L = Kind::List, V = Kind::Void;
    switch (in.op) {
      case Op::ConstStr: want_args(in, {}); want_result(in, S); break;
      case Op::ConstInt: want_args(in, {}); want_result(in, I); break;
      case Op::ConstFloat: want_args(in, {}); want_result(in, F); break;
      case Op::ConstBool: want_args(in, {}); want_result(in, B); break;
      case Op::Load: case Op::Store: {
        if (in.imm < 0 || in.imm >= static_cast<int64_t>(fn_->slots.size())) {
          fail("slot $" + std::to_string(in.imm) + " does not exist");
          break;
        }
        const Type& st = fn_->slots[in.imm].type;
        if (in.op == Op::Load) {
          want_args(in, {});
          if (in.type != st) fail("loads " + in.type.to_string() + " from a slot of " + st.to_string());
        } else {
          want_result(in, V);
          if (in.args.size() != 1) fail("takes 1 operand");
          else if (kind_of(arg_type(in, 0)) != kind_of(st)) fail("stores " + arg_type(in, 0).to_string() + " into a slot of " + st.to_string());
        }
        break;
      }
      case Op::IAdd: case Op::ISub: case Op::IMul: case Op::IDiv: case Op::IMod: want_args(in, {I, I}); want_result(in, I); break;
      case Op::INeg: want_args(in, {I}); want_result(in, I); break;
      case Op::FAdd: case Op::FSub: case Op::FMul: case Op::FDiv: want_args(in, {F, F}); want_result(in, F); break;
      case Op::FNeg: want_args(in, {F}); want_result(in, F); break;
      case Op::IToF: want_args(in, {I}); want_result(in, F); break;
      case Op::BoolToInt: want_args(in, {B}); want_result(in, I); break;
      case Op::Not: want_args(in, {B}); want_result(in, B); break;
      case Op::ICmp:
        if (arg_kind(in, 0) == B) want_args(in, {B, B});
        else want_args(in, {I, I});
        want_result(in, B);
        if (in.imm < 0 || in.imm > static_cast<int64_t>(Cmp::Ge)) fail("bad predicate");
        break;
      case Op::FCmp: want_args(in, {F, F}); want_result(in, B); break;
      case Op::Concat:
        if (in.args.empty()) fail("concatenates nothing");
        for (size_t i = 0; i < in.args.size(); ++i)
          if (arg_kind(in, i) != S) fail("operand " + std::to_string(i) + " is not a str");
        want_result(in, S);
        break;
      case Op::ToStr:
        if (in.args.size() != 1 || arg_kind(in, 0) == V || arg_kind(in, 0) == Kind::Fork || arg_kind(in, 0) == Kind::Env)
          fail("takes one value with a text form");
        want_result(in, S);
        break;
      case Op::StrLen: want_args(in, {S}); want_result(in, I); break;
      case Op::StrEq: want_args(in, {S, S}); want_result(in, B); break;
      case Op::StrCmp: want_args(in, {S, S}); want_result(in, I); break;
      case Op::ValueEq:
        if (in.args.size() != 2 || arg_kind(in, 0) != arg_kind(in, 1)) fail("compares two values of one kind");
        want_result(in, B);
        break;
      case Op::RegexMatch: want_args(in, {S, S}); want_result(in, B); break;
      case Op::Convert:
        if (in.args.size() != 1 || arg_kind(in, 0) != kind_of(in.type)) fail("converts between types of one kind");
        break;
      case Op::ListNew: want_args(in, {}); want_result(in, L); break;
      case Op::ListPush:
        want_args(in, {L, kind_of(arg_type(in, 0).elem())});
        want_result(in, V);
        break;
      case Op::ListLen: want_args(in, {L}); want_result(in, I); break;
      case Op::ListGet:
        want_args(in, {L, I});
        if (in.type != arg_type(in, 0).elem()) fail("result type is not the list's element type");
        break;
      case Op::ListConcat: want_args(in, {L, L}); want_result(in, L); break;
      case Op::IntFromStr: want_args(in, {S}); want_result(in, I); break;
      case Op::FloatFromStr: want_args(in, {S}); want_result(in, F); break;
      case Op::IntFromFloat: want_args(in, {F}); want_result(in, I); break;
      case Op::Join:
        if (in.args.size() == 1) want_args(in, {L});
        else want_args(in, {L, S});
        want_result(in, S);
        break;
      case Op::Split: want_args(in, {S, S}); want_result(in, L); break;
      case Op::Trim: want_args(in, {S}); want_result(in, S); break;
      case Op::StrContains: want_args(in, {S, S}); want_result(in, B); break;
      case Op::ListContains: want_args(in, {L, kind_of(arg_type(in, 0).elem())}); want_result(in, B); break;
      case Op::Range: want_args(in, {I, I}); want_result(in, L); break;
      case Op::Print:
        for (size_t i = 0; i < in.args.size(); ++i) {
          Kind k = arg_kind(in, i);
          if (k == V || k == Kind::Fork || k == Kind::Env) fail("operand " + std::to_string(i) + " cannot be printed");
        }
        want_result(in, V);
        break;
      case Op::Text: want_args(in, {}); want_result(in, S); break;
      case Op::Append: want_args(in, {S}); want_result(in, V); break;
      case Op::RoleBegin: case Op::RoleEnd:
        want_args(in, {});
        want_result(in, V);
        if (in.imm < 0 || in.imm > 2) fail("bad role");
        break;
      case Op::Gen: gen(in); break;
      case Op::Select: want_args(in, {L, I}); want_result(in, S); break;
      case Op::Fork:
        if (stage_ == Stage::Lowered) fail("fork must be lowered by the fork pass before codegen");
        if (in.args.empty() || (arg_kind(in, 0) != I && arg_kind(in, 0) != L)) fail("needs a count or a list first");
        want_target(in.str, FnKind::Branch);
        want_result(in, L);
        break;
      case Op::ForkBegin: want_args(in, {I}); want_result(in, Kind::Fork); break;
      case Op::ForkStart:
        if (in.args.size() != 4) fail("takes fork, index, env, item");
        else want_args(in, {Kind::Fork, I, Kind::Env, arg_kind(in, 3)});
        want_target(in.str, FnKind::Branch);
        want_result(in, V);
        break;
      case Op::ForkJoin: want_args(in, {Kind::Fork}); want_result(in, L); break;
      case Op::EnvNew: want_args(in, {}); want_result(in, Kind::Env); break;
      case Op::EnvStore:
        if (in.args.size() != 2 || arg_kind(in, 0) != Kind::Env) fail("takes env and a value");
        want_result(in, V);
        break;
      case Op::EnvLoad:
        want_args(in, {Kind::Env});
        if (in.type.is_void()) fail("loads no value");
        break;
      case Op::BranchVar:
        want_args(in, {Kind::Branch});
        if (in.type.is_void()) fail("reads no value");
        break;
      case Op::BranchText: want_args(in, {Kind::Branch}); want_result(in, S); break;
      case Op::BranchesVar: want_args(in, {L}); want_result(in, L); break;
      case Op::Spawn: want_args(in, {Kind::Env}); want_target(in.str, FnKind::Spawn); want_result(in, Kind::Task); break;
      case Op::TaskResult: case Op::TaskVar:
        want_args(in, {Kind::Task});
        if (in.type.is_void()) fail("reads no value");
        break;
      case Op::TaskText: want_args(in, {Kind::Task}); want_result(in, S); break;
      case Op::ObjGet:
        want_args(in, {Kind::Obj});
        if (in.type.is_void()) fail("reads no value");
        break;
      case Op::Call: call(in); break;
      case Op::Br:
        if (in.targets.size() != 1) fail("needs one target");
        want_args(in, {});
        break;
      case Op::CondBr:
        if (in.targets.size() != 2) fail("needs two targets");
        want_args(in, {B});
        break;
      case Op::Ret: {
        bool has_value = fn_->kind == FnKind::Normal || fn_->kind == FnKind::Spawn ? !fn_->ret.is_void() : false;
        if (!has_value) {
          want_args(in, {});
        } else if (in.args.size() != 1 || kind_of(arg_type(in, 0)) != kind_of(fn_->ret)) {
          fail("must return one " + fn_->ret.to_string());
        }
        break;
      }
      case Op::Unreachable: want_args(in, {}); break;
    }
  }

  void gen(const Inst& in) {
    size_t k = in.keys.size();
    bool spec = in.constraint == ConstraintKind::Regex || in.constraint == ConstraintKind::Json;
    if (in.args.size() != k + (spec ? 1 : 0)) {
      fail("has " + std::to_string(in.args.size()) + " operands for " + std::to_string(k) + " options" +
           (spec ? " and a constraint" : ""));
      return;
    }
    for (size_t i = 0; i < k; ++i) {
      const GenOption* o = find_gen_option(in.keys[i]);
      if (!o) {
        fail("unknown option " + in.keys[i]);
        continue;
      }
      Kind got = arg_kind(in, i);
      bool ok = got == o->kind || (o->list_ok && got == Kind::List && kind_of(arg_type(in, i).elem()) == o->kind);
      if (!ok) fail("option " + in.keys[i] + " is " + to_string(got) + ", expected " + to_string(o->kind));
    }
    if (spec && arg_kind(in, k) != Kind::Str) fail("the constraint spec is not a str");
    if (in.constraint == ConstraintKind::Typed && stage_ == Stage::Lowered)
      fail("typed gen must be lowered by the constraint pass before codegen");
    if (in.type.is_void()) fail("a gen has a result");
  }

  void call(const Inst& in) {
    const Function* f = m_.find(in.str);
    if (!f) {
      fail("calls " + in.str + ", which does not exist");
      return;
    }
    if (f->kind != FnKind::Normal && f->kind != FnKind::Prefix) {
      fail("calls " + in.str + ", a " + to_string(f->kind) + " that only the runtime calls");
      return;
    }
    if (in.args.size() != f->params.size()) {
      fail("passes " + std::to_string(in.args.size()) + " arguments to " + f->name + ", which takes " +
           std::to_string(f->params.size()));
      return;
    }
    for (size_t i = 0; i < in.args.size(); ++i) {
      if (kind_of(arg_type(in, i)) != kind_of(f->params[i].type))
        fail("argument " + std::to_string(i) + " is " + arg_type(in, i).to_string() + ", " + f->name + " takes " +
             f->params[i].type.to_string());
    }
    if (in.type != f->ret) fail("result type " + in.type.to_string() + " differs from " + f->name + "'s " + f->ret.to_string());
  }

  const Module& m_;
  Stage stage_;
  const Function* fn_ = nullptr;
  int block_ = -1, inst_ = -1;
  std::vector<int> def_block_, def_index_;
  std::vector<std::vector<bool>> dom_;
  std::vector<std::string> errors_;
};

}  // namespace

std::vector<std::string> verify(const Module& m, Stage stage) { return Verifier(m, stage).run(); }

void verify_or_throw(const Module& m, Stage stage, const std::string& after) {
  std::vector<std::string> errors = verify(m, stage);
  if (errors.empty()) return;
  std::string msg = "the IR is malformed after " + after + ":";
  for (size_t i = 0; i < errors.size() && i < 10; ++i) msg += "\n  " + errors[i];
  if (errors.size() > 10) msg += "\n  ... and " + std::to_string(errors.size() - 10) + " more";
  internal_error(msg);
}

}  // namespace sgl::ir
