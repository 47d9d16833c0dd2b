// Lowers the checked AST to SGL IR. Variables become slots (LLVM's mem2reg makes them registers),
// expressions become SSA values, and the implicit conversions sema allows (int -> float, enum ->
// str, list[int] -> list[float]) become explicit ops where the machine representation changes.
#include "lower.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <map>
#include <set>

#include "internal_error.h"

namespace sgl {

namespace {

using ir::Op;

ir::Type ty(const Type* t) {
  if (!t) return ir::Type::void_();
  switch (t->kind) {
    case TypeKind::Error: return ir::Type::str();  // only [] of unknown element type gets here
    case TypeKind::Void: return ir::Type::void_();
    case TypeKind::Bool: return ir::Type::bool_();
    case TypeKind::Int: return ir::Type::int_();
    case TypeKind::Float: return ir::Type::float_();
    case TypeKind::Str: return ir::Type::str();
    case TypeKind::Regex: return ir::Type::regex();
    case TypeKind::List: return ir::Type::list_of(ty(t->elem));
    case TypeKind::Schema: return ir::Type::obj();
    case TypeKind::Enum: return ir::Type::enum_();
    case TypeKind::Branch: return ir::Type::branch();
    case TypeKind::Task: return ir::Type::task();
  }
  return ir::Type::void_();
}

bool is_text(const Type* t) { return t->kind == TypeKind::Str || t->kind == TypeKind::Enum; }

// Does a value of descriptor `from` need an int -> float conversion to become `to`?
bool needs_convert(const std::string& from, const std::string& to) {
  if (from.size() != to.size()) return false;
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] == 'i' && to[i] == 'f') return true;
  return false;
}

std::string float_text(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

class ModuleLowerer;

class FnLowerer {
 public:
  FnLowerer(ModuleLowerer& ml, ir::Function& f, const SourceFile* file, std::string base)
      : ml_(ml), f_(f), file_(file), base_(std::move(base)) {
    cur_ = f_.add_block("entry");
  }

  void lower_fn(const ast::FnDecl& fn);
  void lower_branch(const ast::Fork& fork, const std::vector<const Symbol*>& captures);
  void finish();

 private:
  friend class ModuleLowerer;

  // ------------------------------------------------------------ emission
  int emit(ir::Inst in) {
    if (terminated()) cur_ = f_.add_block("dead");
    if (!in.type.is_void()) in.result = f_.new_value(in.type);
    int r = in.result;
    f_.blocks[cur_].insts.push_back(std::move(in));
    return r;
  }
  static ir::Inst mk(Op op, ir::Type t, std::vector<int> args = {}) {
    ir::Inst in;
    in.op = op;
    in.type = std::move(t);
    in.args = std::move(args);
    return in;
  }
  int op(Op o, ir::Type t, std::vector<int> args = {}) { return emit(mk(o, std::move(t), std::move(args))); }
  int op_at(Op o, ir::Type t, std::vector<int> args, Span at) {
    ir::Inst in = mk(o, std::move(t), std::move(args));
    in.loc = loc(at);
    return emit(std::move(in));
  }
  bool terminated() const {
    const auto& insts = f_.blocks[cur_].insts;
    return !insts.empty() && ir::is_terminator(insts.back().op);
  }
  void br(int target) {
    if (terminated()) return;
    ir::Inst in = mk(Op::Br, ir::Type::void_());
    in.targets = {target};
    emit(std::move(in));
  }
  void condbr(int c, int then_b, int else_b) {
    ir::Inst in = mk(Op::CondBr, ir::Type::void_(), {c});
    in.targets = {then_b, else_b};
    emit(std::move(in));
  }
  int block(const char* name) { return f_.add_block(name); }
  void set_block(int b) { cur_ = b; }

  int const_str(const std::string& s, ir::Type t = ir::Type::str()) {
    ir::Inst in = mk(Op::ConstStr, std::move(t));
    in.str = s;
    return emit(std::move(in));
  }
  int const_int(int64_t v) {
    ir::Inst in = mk(Op::ConstInt, ir::Type::int_());
    in.imm = v;
    return emit(std::move(in));
  }
  int const_float(double v) {
    ir::Inst in = mk(Op::ConstFloat, ir::Type::float_());
    in.fimm = v;
    return emit(std::move(in));
  }
  int const_bool(bool v) {
    ir::Inst in = mk(Op::ConstBool, ir::Type::bool_());
    in.imm = v;
    return emit(std::move(in));
  }
  int cmp(Op o, ir::Cmp c, int a, int b) {
    ir::Inst in = mk(o, ir::Type::bool_(), {a, b});
    in.imm = static_cast<int64_t>(c);
    return emit(std::move(in));
  }
  ir::Loc loc(Span s) const;

  // ------------------------------------------------------------ slots
  int new_slot(const std::string& name, const ir::Type& t) {
    f_.slots.push_back({name, t});
    return static_cast<int>(f_.slots.size()) - 1;
  }
  int slot_of(const Symbol* s) {
    auto it = slots_.find(s);
    if (it != slots_.end()) return it->second;
    if (!s) internal_error("lowering: a variable without a symbol");
    return slots_[s] = new_slot(s->name, ty(s->type));
  }
  int load(int slot) {
    ir::Inst in = mk(Op::Load, f_.slots[slot].type);
    in.imm = slot;
    return emit(std::move(in));
  }
  void store(int slot, int v) {
    ir::Inst in = mk(Op::Store, ir::Type::void_(), {v});
    in.imm = slot;
    emit(std::move(in));
  }

  // ------------------------------------------------------------ values
  const ir::Type& vt(int v) const { return f_.value_types[v]; }
  int coerce(int v, const Type* from, const Type* to) {
    if (!from || !to || from == to || v < 0) return v;
    if (from->kind == TypeKind::Int && to->kind == TypeKind::Float) return op(Op::IToF, ir::Type::float_(), {v});
    if (from->kind == TypeKind::List && to->kind == TypeKind::List && needs_convert(vt(v).desc, ty(to).desc))
      return op(Op::Convert, ty(to), {v});
    return v;
  }
  int to_float(int v, const Type* t) { return t->kind == TypeKind::Int ? op(Op::IToF, ir::Type::float_(), {v}) : v; }
  // The text of a scalar, as an append or an interpolation writes it.
  int to_text(int v) {
    if (ir::kind_of(vt(v)) == ir::Kind::Str) return v;
    return op(Op::ToStr, ir::Type::str(), {v});
  }

  // ------------------------------------------------------------ statements
  void stmts(const ast::Block& b) {
    for (const auto& s : b.stmts) stmt(*s);
  }
  void stmt(const ast::Stmt& s);
  void let(const ast::Let& s);
  void assign(const ast::Assign& s);
  void if_(const ast::If& s);
  void for_(const ast::For& s);
  void while_(const ast::While& s);
  void ret(const ast::Return& s);
  void role(const ast::RoleStmt& s);
  void append(const ast::Append& s);
  void close_roles(size_t keep) {
    for (size_t i = roles_.size(); i > keep; --i) {
      ir::Inst in = mk(Op::RoleEnd, ir::Type::void_());
      in.imm = roles_[i - 1];
      emit(std::move(in));
    }
  }

  // ------------------------------------------------------------ expressions
  int expr(const ast::Expr& e);
  int string(const ast::StringLit& s);
  int list(const ast::ListLit& l);
  int member(const ast::Member& m);
  int call(const ast::Call& c);
  int builtin(const ast::Call& c);
  std::vector<int> user_args(const ast::Call& c, const ast::FnDecl& fn);
  int unary(const ast::Unary& u);
  int binary(const ast::Binary& b);
  int logical(const ast::Binary& b);
  int equal(const ast::Binary& b, int l, int r);
  int gen(const ast::Gen& g);
  int select(const ast::Select& s);
  int fork(const ast::Fork& f);
  int spawn(const ast::Spawn& s);
  void bind(const Symbol* s, int v, const Type* from) {
    if (s) store(slot_of(s), coerce(v, from, s->type));
  }

  ModuleLowerer& ml_;
  ir::Function& f_;
  const SourceFile* file_;
  std::string base_;  // the user function this code comes from (names outlined forks)
  int cur_ = 0;
  std::map<const Symbol*, int> slots_;
  struct Loop {
    int cont, brk;
    size_t roles;  // roles open when the loop started
  };
  std::vector<Loop> loops_;
  std::vector<int64_t> roles_;
};

class ModuleLowerer {
 public:
  explicit ModuleLowerer(const Program& p) : prog_(p), m_(std::make_unique<ir::Module>()) {
    for (const ModuleInfo& info : prog_.modules) {
      for (const auto& d : info.ast->decls) {
        if (d->kind == ast::DeclKind::Fn) fn_owner_[&d->as<ast::FnDecl>()] = &info;
        if (d->kind == ast::DeclKind::Schema) schema_owner_[&d->as<ast::SchemaDecl>()] = &info;
      }
    }
  }

  std::unique_ptr<ir::Module> run() {
    const ast::FnDecl* main = prog_.main_fn;
    if (!main) internal_error("lowering: the program has no main function");
    const SourceFile* file = prog_.main_module->file;
    m_->source_file = file ? file->path() : "";
    file_id(file);
    m_->main = fn_name(*main);
    for (const ast::Param& p : main->params) {
      ir::MainParam mp;
      mp.name = p.name;
      mp.type = ty(p.symbol ? p.symbol->type : nullptr);
      if (p.default_value) {
        mp.has_default = true;
        mp.default_text = literal_text(*p.default_value);
      }
      m_->main_params.push_back(std::move(mp));
    }
    while (!queue_.empty()) {
      const ast::FnDecl* fn = queue_.front();
      queue_.pop_front();
      ir::Function& f = add_function(names_[fn], ir::FnKind::Normal);
      FnLowerer fl(*this, f, file_of(*fn), names_[fn]);
      fl.lower_fn(*fn);
      fl.finish();
    }
    return std::move(m_);
  }

  // The IR name of a user function; queues it for lowering the first time.
  const std::string& fn_name(const ast::FnDecl& fn) {
    auto it = names_.find(&fn);
    if (it != names_.end()) return it->second;
    const ModuleInfo* owner = fn_owner_.count(&fn) ? fn_owner_[&fn] : nullptr;
    std::string name = fn.name;
    if (owner && owner->name != "main") {
      std::string mod = owner->name.rfind("std.", 0) == 0 ? owner->name.substr(4) : owner->name;
      name = mod + "." + fn.name;
    }
    queue_.push_back(&fn);
    return names_[&fn] = name;
  }

  const SourceFile* file_of(const ast::FnDecl& fn) {
    const ModuleInfo* owner = fn_owner_.count(&fn) ? fn_owner_[&fn] : nullptr;
    return owner && owner->ast ? owner->ast->file : prog_.main_module->file;
  }

  int file_id(const SourceFile* f) {
    auto it = file_ids_.find(f);
    if (it != file_ids_.end()) return it->second;
    m_->files.push_back(f ? f->path() : "<unknown>");
    return file_ids_[f] = static_cast<int>(m_->files.size()) - 1;
  }

  ir::Function& add_function(const std::string& name, ir::FnKind kind) {
    m_->functions.push_back(std::make_unique<ir::Function>());
    ir::Function& f = *m_->functions.back();
    f.name = name;
    f.kind = kind;
    return f;
  }

  std::string fork_name(const std::string& base) { return base + ".fork" + std::to_string(forks_[base]++); }

  // The wrapper the runtime calls for `spawn fn(...)`: loads the arguments from the env and calls fn.
  const std::string& spawn_wrapper(const ast::FnDecl& fn) {
    auto it = spawns_.find(&fn);
    if (it != spawns_.end()) return it->second;
    std::string callee = fn_name(fn);
    std::string name = callee + ".spawn";
    spawns_[&fn] = name;
    ir::Function& f = add_function(name, ir::FnKind::Spawn);
    f.params.push_back({"env", ir::Type::env()});
    f.new_value(ir::Type::env());
    f.ret = ty(fn.resolved_return);
    f.add_block("entry");
    ir::Inst call;
    call.op = ir::Op::Call;
    call.str = callee;
    call.type = f.ret;
    for (size_t i = 0; i < fn.params.size(); ++i) {
      ir::Inst ld;
      ld.op = ir::Op::EnvLoad;
      ld.args = {0};
      ld.imm = static_cast<int64_t>(i);
      ld.type = ty(fn.params[i].symbol ? fn.params[i].symbol->type : nullptr);
      ld.result = f.new_value(ld.type);
      call.args.push_back(ld.result);
      f.blocks[0].insts.push_back(std::move(ld));
    }
    ir::Inst r;
    r.op = ir::Op::Ret;
    if (!f.ret.is_void()) {
      call.result = f.new_value(call.type);
      r.args = {call.result};
    }
    f.blocks[0].insts.push_back(std::move(call));
    f.blocks[0].insts.push_back(std::move(r));
    return spawns_[&fn];
  }

  // A JSON-shaped sema type as a DataType; schemas it mentions are added to the module.
  ir::DataType data_type(const Type* t) {
    ir::DataType d;
    switch (t->kind) {
      case TypeKind::Int: d.kind = ir::DataType::Kind::Int; break;
      case TypeKind::Float: d.kind = ir::DataType::Kind::Float; break;
      case TypeKind::Bool: d.kind = ir::DataType::Kind::Bool; break;
      case TypeKind::Enum:
        d.kind = ir::DataType::Kind::Enum;
        d.values = t->enum_values;
        break;
      case TypeKind::List:
        d.kind = ir::DataType::Kind::List;
        d.elem = std::make_shared<ir::DataType>(data_type(t->elem));
        break;
      case TypeKind::Schema:
        d.kind = ir::DataType::Kind::Schema;
        d.schema = schema(*t->schema);
        break;
      default: d.kind = ir::DataType::Kind::Str; break;
    }
    return d;
  }

 private:
  std::string schema(const ast::SchemaDecl& s) {
    if (schemas_done_.count(&s)) return s.name;
    schemas_done_.insert(&s);
    ir::SchemaDecl out;
    out.name = s.name;
    const ModuleInfo* owner = schema_owner_.count(&s) ? schema_owner_[&s] : nullptr;
    for (const ast::Field& f : s.fields) out.fields.push_back({f.name, f.optional, type_ref(f.type, owner)});
    m_->schemas.push_back(std::move(out));
    return s.name;
  }

  // A field's written type, resolved by name in the schema's module.
  ir::DataType type_ref(const ast::TypeRef& r, const ModuleInfo* owner) {
    ir::DataType d;
    if (r.inline_enum) {
      d.kind = ir::DataType::Kind::Enum;
      d.values = r.enum_values;
    } else if (r.name == "int") {
      d.kind = ir::DataType::Kind::Int;
    } else if (r.name == "float") {
      d.kind = ir::DataType::Kind::Float;
    } else if (r.name == "bool") {
      d.kind = ir::DataType::Kind::Bool;
    } else if (r.name == "list" && r.arg) {
      d.kind = ir::DataType::Kind::List;
      d.elem = std::make_shared<ir::DataType>(type_ref(*r.arg, owner));
    } else if (r.name != "str" && owner) {
      Symbol* s = owner->find(r.name);
      if (s && s->schema) {
        d.kind = ir::DataType::Kind::Schema;
        d.schema = schema(*s->schema);
      } else if (s && s->enum_decl) {
        d.kind = ir::DataType::Kind::Enum;
        d.values = s->enum_decl->values;
      }
    }
    return d;
  }

  // A default value (a literal) as --arg would spell it.
  static std::string literal_text(const ast::Expr& e) {
    switch (e.kind) {
      case ast::ExprKind::Int: return std::to_string(e.as<ast::IntLit>().value);
      case ast::ExprKind::Float: return float_text(e.as<ast::FloatLit>().value);
      case ast::ExprKind::Bool: return e.as<ast::BoolLit>().value ? "true" : "false";
      case ast::ExprKind::String: return e.as<ast::StringLit>().constant_text();
      case ast::ExprKind::Unary: return "-" + literal_text(*e.as<ast::Unary>().operand);
      default: internal_error("lowering: main's default value is not a scalar literal");
    }
  }

  friend class FnLowerer;
  const Program& prog_;
  std::unique_ptr<ir::Module> m_;
  std::map<const ast::FnDecl*, const ModuleInfo*> fn_owner_;
  std::map<const ast::SchemaDecl*, const ModuleInfo*> schema_owner_;
  std::map<const ast::FnDecl*, std::string> names_;
  std::map<const ast::FnDecl*, std::string> spawns_;
  std::deque<const ast::FnDecl*> queue_;
  std::map<const SourceFile*, int> file_ids_;
  std::map<std::string, int> forks_;
  std::set<const ast::SchemaDecl*> schemas_done_;
};

ir::Loc FnLowerer::loc(Span s) const {
  ir::Loc l;
  l.file = ml_.file_id(file_);
  if (file_) {
    LineCol lc = file_->line_col(s.begin);
    l.line = static_cast<int32_t>(lc.line);
    l.col = static_cast<int32_t>(lc.col);
  }
  return l;
}

// ================================================================ functions

void FnLowerer::lower_fn(const ast::FnDecl& fn) {
  f_.ret = ty(fn.resolved_return);
  for (const ast::Param& p : fn.params) {
    ir::Type t = ty(p.symbol ? p.symbol->type : nullptr);
    f_.params.push_back({p.name, t});
    f_.new_value(t);
  }
  for (size_t i = 0; i < fn.params.size(); ++i) {
    if (fn.params[i].symbol) store(slot_of(fn.params[i].symbol), static_cast<int>(i));
  }
  stmts(fn.body);
}

void FnLowerer::lower_branch(const ast::Fork& fork, const std::vector<const Symbol*>& captures) {
  ir::Type item = fork.list ? ty(fork.list->type).elem() : ir::Type::int_();
  f_.params = {{"env", ir::Type::env()}, {"index", ir::Type::int_()}, {"item", item}};
  for (const ir::Param& p : f_.params) f_.new_value(p.type);
  for (size_t i = 0; i < captures.size(); ++i) {
    int slot = slot_of(captures[i]);
    ir::Inst in = mk(Op::EnvLoad, f_.slots[slot].type, {0});
    in.imm = static_cast<int64_t>(i);
    store(slot, emit(std::move(in)));
  }
  if (fork.var_symbol) store(slot_of(fork.var_symbol), 2);
  stmts(*fork.body);
}

void FnLowerer::finish() {
  if (!terminated()) {
    // Sema guarantees that a function with a result returns on every path.
    if (!f_.ret.is_void() && f_.kind == ir::FnKind::Normal) {
      emit(mk(Op::Unreachable, ir::Type::void_()));
    } else {
      close_roles(0);
      emit(mk(Op::Ret, ir::Type::void_()));
    }
  }
  // Drop blocks that cannot be reached (code after return/break) and renumber the rest.
  size_t n = f_.blocks.size();
  std::vector<int> order, id(n, -1);
  std::vector<int> work = {0};
  id[0] = 0;
  while (!work.empty()) {
    int b = work.back();
    work.pop_back();
    order.push_back(b);
    if (f_.blocks[b].insts.empty()) internal_error("lowering: block " + f_.blocks[b].name + " is empty");
    for (int t : f_.blocks[b].insts.back().targets) {
      if (id[t] < 0) {
        id[t] = 1;
        work.push_back(t);
      }
    }
  }
  std::sort(order.begin(), order.end());
  std::vector<int> remap(n, -1);
  for (size_t i = 0; i < order.size(); ++i) remap[order[i]] = static_cast<int>(i);
  std::vector<ir::Block> blocks;
  for (int b : order) {
    ir::Block blk = std::move(f_.blocks[b]);
    for (auto& t : blk.insts.back().targets) t = remap[t];
    blocks.push_back(std::move(blk));
  }
  // Renaming keeps labels dense and stable ("if.then.3" names block 3).
  for (size_t i = 1; i < blocks.size(); ++i) {
    std::string& nm = blocks[i].name;
    nm = nm.substr(0, nm.rfind('.')) + "." + std::to_string(i);
  }
  f_.blocks = std::move(blocks);
}

// ================================================================ statements

void FnLowerer::stmt(const ast::Stmt& s) {
  switch (s.kind) {
    case ast::StmtKind::Let: let(s.as<ast::Let>()); break;
    case ast::StmtKind::Assign: assign(s.as<ast::Assign>()); break;
    case ast::StmtKind::If: if_(s.as<ast::If>()); break;
    case ast::StmtKind::For: for_(s.as<ast::For>()); break;
    case ast::StmtKind::While: while_(s.as<ast::While>()); break;
    case ast::StmtKind::Break:
    case ast::StmtKind::Continue: {
      if (loops_.empty()) internal_error("lowering: break/continue outside a loop");
      close_roles(loops_.back().roles);
      br(s.kind == ast::StmtKind::Break ? loops_.back().brk : loops_.back().cont);
      break;
    }
    case ast::StmtKind::Return: ret(s.as<ast::Return>()); break;
    case ast::StmtKind::Role: role(s.as<ast::RoleStmt>()); break;
    case ast::StmtKind::Append: append(s.as<ast::Append>()); break;
  }
}

void FnLowerer::let(const ast::Let& s) {
  int v = expr(*s.value);
  bind(s.symbol, v, s.value->type);
}

void FnLowerer::assign(const ast::Assign& s) {
  const Symbol* sym = s.symbol;
  int v = expr(*s.value);
  if (!s.append) {
    bind(sym, v, s.value->type);
    return;
  }
  int slot = slot_of(sym);
  int old = load(slot);
  const Type* t = sym->type;
  int nv;
  switch (t->kind) {
    case TypeKind::Int: nv = op(Op::IAdd, ir::Type::int_(), {old, v}); break;
    case TypeKind::Float: nv = op(Op::FAdd, ir::Type::float_(), {old, to_float(v, s.value->type)}); break;
    case TypeKind::List: nv = op(Op::ListConcat, ty(t), {old, coerce(v, s.value->type, t)}); break;
    default: nv = op(Op::Concat, ir::Type::str(), {old, to_text(v)}); break;
  }
  store(slot, nv);
}

void FnLowerer::if_(const ast::If& s) {
  int c = expr(*s.cond);
  int then_b = block("if.then");
  int else_b = (s.else_if || s.else_block) ? block("if.else") : -1;
  int end_b = block("if.end");
  condbr(c, then_b, else_b >= 0 ? else_b : end_b);
  set_block(then_b);
  stmts(s.then_block);
  br(end_b);
  if (else_b >= 0) {
    set_block(else_b);
    if (s.else_if) stmt(*s.else_if);
    else stmts(*s.else_block);
    br(end_b);
  }
  set_block(end_b);
}

void FnLowerer::for_(const ast::For& s) {
  int var_slot = slot_of(s.var_symbol);
  int idx_slot = new_slot("for.index", ir::Type::int_());
  // for x in range(...) counts without building the list.
  const ast::Expr& it = *s.iterable;
  bool counting = it.kind == ast::ExprKind::Call && it.as<ast::Call>().target &&
                  it.as<ast::Call>().target->builtin == Builtin::Range;
  int list = -1, end = -1;
  if (counting) {
    const auto& c = it.as<ast::Call>();
    int a = expr(*c.args[0].value);
    if (c.args.size() == 2) {
      store(idx_slot, a);
      end = expr(*c.args[1].value);
    } else {
      store(idx_slot, const_int(0));
      end = a;
    }
  } else {
    list = expr(it);
    end = op(Op::ListLen, ir::Type::int_(), {list});
    store(idx_slot, const_int(0));
  }
  int head = block("for.head"), body = block("for.body"), next = block("for.next"), exit = block("for.end");
  br(head);
  set_block(head);
  int i = load(idx_slot);
  condbr(cmp(Op::ICmp, ir::Cmp::Lt, i, end), body, exit);
  set_block(body);
  int item = counting ? i : op_at(Op::ListGet, vt(list).elem(), {list, i}, it.span);
  store(var_slot, item);
  loops_.push_back({next, exit, roles_.size()});
  stmts(s.body);
  loops_.pop_back();
  br(next);
  set_block(next);
  store(idx_slot, op(Op::IAdd, ir::Type::int_(), {load(idx_slot), const_int(1)}));
  br(head);
  set_block(exit);
}

void FnLowerer::while_(const ast::While& s) {
  int head = block("while.head"), body = block("while.body"), exit = block("while.end");
  br(head);
  set_block(head);
  condbr(expr(*s.cond), body, exit);
  set_block(body);
  loops_.push_back({head, exit, roles_.size()});
  stmts(s.body);
  loops_.pop_back();
  br(head);
  set_block(exit);
}

void FnLowerer::ret(const ast::Return& s) {
  int v = -1;
  if (s.value) v = expr(*s.value);
  close_roles(0);
  ir::Inst in = mk(Op::Ret, ir::Type::void_());
  if (s.value && !f_.ret.is_void()) {
    // The return type is the function's; sema checked that the value fits it.
    if (f_.ret.desc == "f" && vt(v).desc == "i") v = op(Op::IToF, ir::Type::float_(), {v});
    else if (needs_convert(vt(v).desc, f_.ret.desc)) v = op(Op::Convert, f_.ret, {v});
    in.args = {v};
  }
  emit(std::move(in));
}

void FnLowerer::role(const ast::RoleStmt& s) {
  int64_t r = s.role == ast::Role::System ? 0 : s.role == ast::Role::User ? 1 : 2;
  ir::Inst b = mk(Op::RoleBegin, ir::Type::void_());
  b.imm = r;
  emit(std::move(b));
  roles_.push_back(r);
  stmts(s.body);
  roles_.pop_back();
  if (!terminated()) {
    ir::Inst e = mk(Op::RoleEnd, ir::Type::void_());
    e.imm = r;
    emit(std::move(e));
  }
}

void FnLowerer::append(const ast::Append& s) {
  if (s.items.size() == 1 && !s.role_inline) {
    ast::ExprKind k = s.items[0]->kind;
    if (k == ast::ExprKind::Call || k == ast::ExprKind::Fork || k == ast::ExprKind::Spawn) {
      expr(*s.items[0]);  // run for its effect; the value is dropped
      return;
    }
  }
  for (const auto& item : s.items) {
    int v = expr(*item);
    if (item->kind == ast::ExprKind::Gen || item->kind == ast::ExprKind::Select) continue;  // they append themselves
    op(Op::Append, ir::Type::void_(), {to_text(v)});
  }
}

// ================================================================ expressions

int FnLowerer::expr(const ast::Expr& e) {
  switch (e.kind) {
    case ast::ExprKind::Int: return const_int(e.as<ast::IntLit>().value);
    case ast::ExprKind::Float: return const_float(e.as<ast::FloatLit>().value);
    case ast::ExprKind::Bool: return const_bool(e.as<ast::BoolLit>().value);
    case ast::ExprKind::String: return string(e.as<ast::StringLit>());
    case ast::ExprKind::Regex: return const_str(e.as<ast::RegexLit>().pattern, ir::Type::regex());
    case ast::ExprKind::List: return list(e.as<ast::ListLit>());
    case ast::ExprKind::Name: {
      const Symbol* s = e.as<ast::NameRef>().symbol;
      if (!s) internal_error("lowering: unresolved name '" + e.as<ast::NameRef>().name + "'");
      return load(slot_of(s));
    }
    case ast::ExprKind::Member: return member(e.as<ast::Member>());
    case ast::ExprKind::Index: {
      const auto& ix = e.as<ast::Index>();
      int l = expr(*ix.object);
      int i = expr(*ix.index);
      return op_at(Op::ListGet, vt(l).elem(), {l, i}, ix.index->span);
    }
    case ast::ExprKind::Call: return call(e.as<ast::Call>());
    case ast::ExprKind::Unary: return unary(e.as<ast::Unary>());
    case ast::ExprKind::Binary: return binary(e.as<ast::Binary>());
    case ast::ExprKind::Gen: return gen(e.as<ast::Gen>());
    case ast::ExprKind::Select: return select(e.as<ast::Select>());
    case ast::ExprKind::Fork: return fork(e.as<ast::Fork>());
    case ast::ExprKind::Spawn: return spawn(e.as<ast::Spawn>());
  }
  internal_error("lowering: unknown expression kind");
}

int FnLowerer::string(const ast::StringLit& s) {
  std::vector<int> parts;
  for (const ast::StringPart& p : s.parts) parts.push_back(p.expr ? to_text(expr(*p.expr)) : const_str(p.text));
  if (parts.empty()) return const_str("");
  if (parts.size() == 1) return parts[0];
  return op(Op::Concat, ir::Type::str(), parts);
}

int FnLowerer::list(const ast::ListLit& l) {
  ir::Type t = ty(l.type);
  const Type* elem = l.type && l.type->kind == TypeKind::List ? l.type->elem : nullptr;
  ir::Inst in = mk(Op::ListNew, t);
  in.imm = static_cast<int64_t>(l.items.size());
  int lst = emit(std::move(in));
  for (const auto& item : l.items) op(Op::ListPush, ir::Type::void_(), {lst, coerce(expr(*item), item->type, elem)});
  return lst;
}

int FnLowerer::member(const ast::Member& m) {
  if (m.object->kind == ast::ExprKind::Name) {
    const Symbol* s = m.object->as<ast::NameRef>().symbol;
    if (s && s->kind == Symbol::Kind::Enum) return const_str(m.name, ir::Type::enum_());
  }
  int obj = expr(*m.object);
  const Type* t = m.object->type;
  auto named = [&](Op o) {
    ir::Inst in = mk(o, ty(m.type), {obj});
    in.str = m.name;
    in.loc = loc(m.name_span);
    return emit(std::move(in));
  };
  switch (t->kind) {
    case TypeKind::Schema: return named(Op::ObjGet);
    case TypeKind::Branch:
      if (m.name == "text") return op(Op::BranchText, ir::Type::str(), {obj});
      return named(Op::BranchVar);
    case TypeKind::List: {
      if (m.name != "text") return named(Op::BranchesVar);
      // branches.text: each branch's text, in index order.
      int out = emit(mk(Op::ListNew, ir::Type::list_of(ir::Type::str())));
      int idx = new_slot("text.index", ir::Type::int_());
      store(idx, const_int(0));
      int n = op(Op::ListLen, ir::Type::int_(), {obj});
      int head = block("texts.head"), body = block("texts.body"), exit = block("texts.end");
      br(head);
      set_block(head);
      int i = load(idx);
      condbr(cmp(Op::ICmp, ir::Cmp::Lt, i, n), body, exit);
      set_block(body);
      int b = op_at(Op::ListGet, ir::Type::branch(), {obj, i}, m.name_span);
      op(Op::ListPush, ir::Type::void_(), {out, op(Op::BranchText, ir::Type::str(), {b})});
      store(idx, op(Op::IAdd, ir::Type::int_(), {i, const_int(1)}));
      br(head);
      set_block(exit);
      return out;
    }
    case TypeKind::Task:
      if (m.name == "result") return named(Op::TaskResult);
      if (m.name == "text") return named(Op::TaskText);
      return named(Op::TaskVar);
    default: internal_error("lowering: member '" + m.name + "' of " + t->to_string());
  }
}

std::vector<int> FnLowerer::user_args(const ast::Call& c, const ast::FnDecl& fn) {
  // Arguments run in source order; the values are then placed by parameter.
  std::vector<int> values(fn.params.size(), -1);
  std::vector<const Type*> types(fn.params.size(), nullptr);
  size_t next = 0;
  for (const ast::Arg& a : c.args) {
    size_t i = next;
    if (a.name.empty()) {
      ++next;
    } else {
      for (i = 0; i < fn.params.size() && fn.params[i].name != a.name; ++i) {
      }
    }
    if (i >= fn.params.size()) internal_error("lowering: argument without a parameter in a call to " + fn.name);
    values[i] = expr(*a.value);
    types[i] = a.value->type;
  }
  for (size_t i = 0; i < fn.params.size(); ++i) {
    const ast::Param& p = fn.params[i];
    if (values[i] < 0) {
      if (!p.default_value) internal_error("lowering: missing argument '" + p.name + "' in a call to " + fn.name);
      values[i] = expr(*p.default_value);
      types[i] = p.default_value->type;
    }
    values[i] = coerce(values[i], types[i], p.symbol ? p.symbol->type : nullptr);
  }
  return values;
}

int FnLowerer::call(const ast::Call& c) {
  if (!c.target) internal_error("lowering: unresolved call");
  if (c.target->kind == Symbol::Kind::Builtin) return builtin(c);
  const ast::FnDecl& fn = *c.target->fn;
  std::vector<int> args = user_args(c, fn);
  ir::Inst in = mk(Op::Call, ty(fn.resolved_return), std::move(args));
  in.str = ml_.fn_name(fn);
  return emit(std::move(in));
}

int FnLowerer::builtin(const ast::Call& c) {
  std::vector<int> a;
  std::vector<const Type*> t;
  for (const ast::Arg& arg : c.args) {
    a.push_back(expr(*arg.value));
    t.push_back(arg.value->type);
  }
  const ir::Type S = ir::Type::str(), I = ir::Type::int_(), F = ir::Type::float_(), B = ir::Type::bool_();
  switch (c.target->builtin) {
    case Builtin::Len: return op(is_text(t[0]) ? Op::StrLen : Op::ListLen, I, {a[0]});
    case Builtin::Str: return op(Op::ToStr, S, {a[0]});
    case Builtin::Int:
      switch (t[0]->kind) {
        case TypeKind::Int: return a[0];
        case TypeKind::Bool: return op(Op::BoolToInt, I, {a[0]});
        case TypeKind::Float: return op_at(Op::IntFromFloat, I, {a[0]}, c.span);
        default: return op_at(Op::IntFromStr, I, {a[0]}, c.span);
      }
    case Builtin::Float:
      switch (t[0]->kind) {
        case TypeKind::Float: return a[0];
        case TypeKind::Int: return op(Op::IToF, F, {a[0]});
        default: return op_at(Op::FloatFromStr, F, {a[0]}, c.span);
      }
    case Builtin::Join: return op(Op::Join, S, a);
    case Builtin::Split: return op_at(Op::Split, ir::Type::list_of(S), a, c.span);
    case Builtin::Trim: return op(Op::Trim, S, a);
    case Builtin::Contains:
      if (t[0]->kind == TypeKind::List) return op(Op::ListContains, B, {a[0], coerce(a[1], t[1], t[0]->elem)});
      return op(Op::StrContains, B, a);
    case Builtin::Range:
      if (a.size() == 1) return op(Op::Range, ir::Type::list_of(I), {const_int(0), a[0]});
      return op(Op::Range, ir::Type::list_of(I), a);
    case Builtin::Print: return op(Op::Print, ir::Type::void_(), a);
    case Builtin::Text: return op(Op::Text, S);
    case Builtin::None: break;
  }
  internal_error("lowering: unknown built-in");
}

int FnLowerer::unary(const ast::Unary& u) {
  int v = expr(*u.operand);
  if (u.op == ast::UnaryOp::Not) return op(Op::Not, ir::Type::bool_(), {v});
  if (u.type->kind == TypeKind::Int) return op(Op::INeg, ir::Type::int_(), {v});
  return op(Op::FNeg, ir::Type::float_(), {v});
}

int FnLowerer::logical(const ast::Binary& b) {
  // Short-circuit: the right side runs only when it decides the result.
  int tmp = new_slot(b.op == ast::BinaryOp::And ? "and" : "or", ir::Type::bool_());
  int l = expr(*b.lhs);
  store(tmp, l);
  int rhs = block(b.op == ast::BinaryOp::And ? "and.rhs" : "or.rhs"), end = block(b.op == ast::BinaryOp::And ? "and.end" : "or.end");
  if (b.op == ast::BinaryOp::And) condbr(l, rhs, end);
  else condbr(l, end, rhs);
  set_block(rhs);
  store(tmp, expr(*b.rhs));
  br(end);
  set_block(end);
  return load(tmp);
}

int FnLowerer::equal(const ast::Binary& b, int l, int r) {
  const Type* lt = b.lhs->type;
  const Type* rt = b.rhs->type;
  if (lt->kind == TypeKind::Bool) return cmp(Op::ICmp, ir::Cmp::Eq, l, r);
  if (lt->kind == TypeKind::Int && rt->kind == TypeKind::Int) return cmp(Op::ICmp, ir::Cmp::Eq, l, r);
  if (lt->is_numeric() && rt->is_numeric()) return cmp(Op::FCmp, ir::Cmp::Eq, to_float(l, lt), to_float(r, rt));
  if (ir::kind_of(vt(l)) == ir::Kind::Str) return op(Op::StrEq, ir::Type::bool_(), {l, r});
  // Lists and schema values compare deeply in the runtime, as the wider type.
  if (assignable(lt, rt)) l = coerce(l, lt, rt);
  else r = coerce(r, rt, lt);
  return op(Op::ValueEq, ir::Type::bool_(), {l, r});
}

int FnLowerer::binary(const ast::Binary& b) {
  if (b.op == ast::BinaryOp::And || b.op == ast::BinaryOp::Or) return logical(b);
  int l = expr(*b.lhs);
  int r = expr(*b.rhs);
  const Type* lt = b.lhs->type;
  const Type* rt = b.rhs->type;
  bool ints = lt->kind == TypeKind::Int && rt->kind == TypeKind::Int;
  auto arith = [&](Op iop, Op fop) {
    if (ints) {
      if (iop == Op::IDiv || iop == Op::IMod) return op_at(iop, ir::Type::int_(), {l, r}, b.op_span);
      return op(iop, ir::Type::int_(), {l, r});
    }
    return op(fop, ir::Type::float_(), {to_float(l, lt), to_float(r, rt)});
  };
  auto compare = [&](ir::Cmp c) {
    if (ints) return cmp(Op::ICmp, c, l, r);
    if (lt->is_numeric()) return cmp(Op::FCmp, c, to_float(l, lt), to_float(r, rt));
    return cmp(Op::ICmp, c, op(Op::StrCmp, ir::Type::int_(), {l, r}), const_int(0));
  };
  switch (b.op) {
    case ast::BinaryOp::Add:
      if (lt->is_numeric() && rt->is_numeric()) return arith(Op::IAdd, Op::FAdd);
      if (lt->kind == TypeKind::List) return op(Op::ListConcat, ty(b.type), {coerce(l, lt, b.type), coerce(r, rt, b.type)});
      return op(Op::Concat, ir::Type::str(), {to_text(l), to_text(r)});
    case ast::BinaryOp::Sub: return arith(Op::ISub, Op::FSub);
    case ast::BinaryOp::Mul: return arith(Op::IMul, Op::FMul);
    case ast::BinaryOp::Div: return arith(Op::IDiv, Op::FDiv);
    case ast::BinaryOp::Mod: return arith(Op::IMod, Op::IMod);
    case ast::BinaryOp::Lt: return compare(ir::Cmp::Lt);
    case ast::BinaryOp::Le: return compare(ir::Cmp::Le);
    case ast::BinaryOp::Gt: return compare(ir::Cmp::Gt);
    case ast::BinaryOp::Ge: return compare(ir::Cmp::Ge);
    case ast::BinaryOp::Eq: return equal(b, l, r);
    case ast::BinaryOp::Ne: return op(Op::Not, ir::Type::bool_(), {equal(b, l, r)});
    case ast::BinaryOp::Match: return op_at(Op::RegexMatch, ir::Type::bool_(), {l, r}, b.rhs->span);
    case ast::BinaryOp::And: case ast::BinaryOp::Or: break;
  }
  internal_error("lowering: unknown binary operator");
}

int FnLowerer::gen(const ast::Gen& g) {
  ir::Inst in = mk(Op::Gen, ty(g.type));
  in.str = g.name;
  in.loc = loc(g.span);
  int spec = -1;
  for (const ast::Arg& a : g.options) {
    int v = expr(*a.value);
    if (a.name == "regex" || a.name == "json") {
      in.constraint = a.name == "regex" ? ir::ConstraintKind::Regex : ir::ConstraintKind::Json;
      spec = v;
      continue;
    }
    const ir::GenOption* o = ir::find_gen_option(a.name);
    if (!o) internal_error("lowering: unknown gen option " + a.name);
    if (o->kind == ir::Kind::Float) v = to_float(v, a.value->type);
    in.keys.push_back(a.name);
    in.args.push_back(v);
  }
  if (spec >= 0) in.args.push_back(spec);
  if (g.target_type && g.type->kind != TypeKind::Str) {
    in.constraint = ir::ConstraintKind::Typed;
    in.target = ml_.data_type(g.type);
  }
  int v = emit(std::move(in));
  bind(g.symbol, v, g.type);
  return v;
}

int FnLowerer::select(const ast::Select& s) {
  std::vector<const ast::Arg*> choices;
  const ast::Arg* method = nullptr;
  for (const ast::Arg& a : s.args) {
    if (a.name.empty()) choices.push_back(&a);
    else if (a.name == "method") method = &a;
  }
  int list;
  if (choices.size() == 1 && choices[0]->value->type->kind == TypeKind::List) {
    list = expr(*choices[0]->value);
  } else {
    bool all_enum = true;
    for (const ast::Arg* a : choices) all_enum = all_enum && a->value->type->kind == TypeKind::Enum;
    ir::Inst in = mk(Op::ListNew, ir::Type::list_of(all_enum ? ir::Type::enum_() : ir::Type::str()));
    in.imm = static_cast<int64_t>(choices.size());
    list = emit(std::move(in));
    for (const ast::Arg* a : choices) op(Op::ListPush, ir::Type::void_(), {list, expr(*a->value)});
  }
  int m;
  if (!method) {
    m = const_int(0);
  } else if (method->value->kind == ast::ExprKind::String && method->value->as<ast::StringLit>().is_constant()) {
    std::string t = method->value->as<ast::StringLit>().constant_text();
    m = const_int(t == "greedy" ? 1 : t == "unconditional" ? 2 : 0);
  } else {
    // A method chosen at run time: 1 for "greedy", 2 for "unconditional", otherwise 0.
    int v = expr(*method->value);
    int g = op(Op::BoolToInt, ir::Type::int_(), {op(Op::StrEq, ir::Type::bool_(), {v, const_str("greedy")})});
    int u = op(Op::BoolToInt, ir::Type::int_(), {op(Op::StrEq, ir::Type::bool_(), {v, const_str("unconditional")})});
    m = op(Op::IAdd, ir::Type::int_(), {g, op(Op::IMul, ir::Type::int_(), {u, const_int(2)})});
  }
  ir::Inst in = mk(Op::Select, ty(s.type), {list, m});
  in.str = s.name;
  in.loc = loc(s.span);
  int v = emit(std::move(in));
  bind(s.symbol, v, s.type);
  return v;
}

// The variables a fork body reads from around it: every name it uses that already has a slot
// here (names declared inside the body get their slots only when the body is lowered).
void collect_names(const ast::Expr& e, std::vector<const Symbol*>& out);
void collect_names(const ast::Block& b, std::vector<const Symbol*>& out);

void collect_names(const ast::Stmt& s, std::vector<const Symbol*>& out) {
  switch (s.kind) {
    case ast::StmtKind::Let: collect_names(*s.as<ast::Let>().value, out); break;
    case ast::StmtKind::Assign:
      out.push_back(s.as<ast::Assign>().symbol);
      collect_names(*s.as<ast::Assign>().value, out);
      break;
    case ast::StmtKind::If: {
      const auto& i = s.as<ast::If>();
      collect_names(*i.cond, out);
      collect_names(i.then_block, out);
      if (i.else_if) collect_names(*i.else_if, out);
      if (i.else_block) collect_names(*i.else_block, out);
      break;
    }
    case ast::StmtKind::For:
      collect_names(*s.as<ast::For>().iterable, out);
      collect_names(s.as<ast::For>().body, out);
      break;
    case ast::StmtKind::While:
      collect_names(*s.as<ast::While>().cond, out);
      collect_names(s.as<ast::While>().body, out);
      break;
    case ast::StmtKind::Return:
      if (s.as<ast::Return>().value) collect_names(*s.as<ast::Return>().value, out);
      break;
    case ast::StmtKind::Role: collect_names(s.as<ast::RoleStmt>().body, out); break;
    case ast::StmtKind::Append:
      for (const auto& i : s.as<ast::Append>().items) collect_names(*i, out);
      break;
    case ast::StmtKind::Break: case ast::StmtKind::Continue: break;
  }
}

void collect_names(const ast::Block& b, std::vector<const Symbol*>& out) {
  for (const auto& s : b.stmts) collect_names(*s, out);
}

void collect_names(const ast::Expr& e, std::vector<const Symbol*>& out) {
  switch (e.kind) {
    case ast::ExprKind::Name: out.push_back(e.as<ast::NameRef>().symbol); break;
    case ast::ExprKind::String:
      for (const auto& p : e.as<ast::StringLit>().parts)
        if (p.expr) collect_names(*p.expr, out);
      break;
    case ast::ExprKind::List:
      for (const auto& i : e.as<ast::ListLit>().items) collect_names(*i, out);
      break;
    case ast::ExprKind::Member: collect_names(*e.as<ast::Member>().object, out); break;
    case ast::ExprKind::Index:
      collect_names(*e.as<ast::Index>().object, out);
      collect_names(*e.as<ast::Index>().index, out);
      break;
    case ast::ExprKind::Call:
      for (const auto& a : e.as<ast::Call>().args) collect_names(*a.value, out);
      break;
    case ast::ExprKind::Unary: collect_names(*e.as<ast::Unary>().operand, out); break;
    case ast::ExprKind::Binary:
      collect_names(*e.as<ast::Binary>().lhs, out);
      collect_names(*e.as<ast::Binary>().rhs, out);
      break;
    case ast::ExprKind::Gen:
      out.push_back(e.as<ast::Gen>().symbol);
      for (const auto& a : e.as<ast::Gen>().options) collect_names(*a.value, out);
      break;
    case ast::ExprKind::Select:
      out.push_back(e.as<ast::Select>().symbol);
      for (const auto& a : e.as<ast::Select>().args) collect_names(*a.value, out);
      break;
    case ast::ExprKind::Fork: {
      const auto& f = e.as<ast::Fork>();
      if (f.count) collect_names(*f.count, out);
      if (f.list) collect_names(*f.list, out);
      collect_names(*f.body, out);
      break;
    }
    case ast::ExprKind::Spawn: collect_names(*e.as<ast::Spawn>().call, out); break;
    case ast::ExprKind::Int: case ast::ExprKind::Float: case ast::ExprKind::Bool: case ast::ExprKind::Regex: break;
  }
}

int FnLowerer::fork(const ast::Fork& f) {
  int what = f.count ? expr(*f.count) : expr(*f.list);
  std::vector<const Symbol*> names;
  collect_names(*f.body, names);
  std::vector<const Symbol*> captures;
  std::set<const Symbol*> seen;
  for (const Symbol* s : names) {
    if (s && slots_.count(s) && seen.insert(s).second) captures.push_back(s);
  }
  std::string name = ml_.fork_name(base_);
  ir::Function& body = ml_.add_function(name, ir::FnKind::Branch);
  FnLowerer bl(ml_, body, file_, base_);
  bl.lower_branch(f, captures);
  bl.finish();

  ir::Inst in = mk(Op::Fork, ty(f.type), {what});
  for (const Symbol* s : captures) in.args.push_back(load(slots_[s]));
  in.str = name;
  in.loc = loc(f.span);
  return emit(std::move(in));
}

int FnLowerer::spawn(const ast::Spawn& s) {
  const auto& c = s.call->as<ast::Call>();
  const ast::FnDecl& fn = *c.target->fn;
  std::vector<int> args = user_args(c, fn);
  ir::Inst env = mk(Op::EnvNew, ir::Type::env());
  env.imm = static_cast<int64_t>(args.size());
  int e = emit(std::move(env));
  for (size_t i = 0; i < args.size(); ++i) {
    ir::Inst st = mk(Op::EnvStore, ir::Type::void_(), {e, args[i]});
    st.imm = static_cast<int64_t>(i);
    emit(std::move(st));
  }
  ir::Inst in = mk(Op::Spawn, ir::Type::task(), {e});
  in.str = ml_.spawn_wrapper(fn);
  return emit(std::move(in));
}

}  // namespace

std::unique_ptr<ir::Module> lower_program(const Program& program) { return ModuleLowerer(program).run(); }

}  // namespace sgl
