#include "sema.h"

#include <re2/re2.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "parse.h"
#include "sema_options.h"
#include "stdlib.h"

namespace sgl {

Symbol* ModuleInfo::find(const std::string& n) const {
  for (const auto& [name, sym] : names)
    if (name == n) return sym;
  return nullptr;
}

namespace {

struct BuiltinSpec {
  const char* name;
  Builtin id;
  const char* signature;  // for error messages
};

const std::vector<BuiltinSpec>& builtin_specs() {
  static const std::vector<BuiltinSpec> specs = {
      {"len", Builtin::Len, "len(x: str | list[T]) -> int"},
      {"str", Builtin::Str, "str(x) -> str"},
      {"int", Builtin::Int, "int(x: str | float | int | bool) -> int"},
      {"float", Builtin::Float, "float(x: str | int | float) -> float"},
      {"join", Builtin::Join, "join(items: list[str], sep: str) -> str"},
      {"split", Builtin::Split, "split(s: str, sep: str) -> list[str]"},
      {"trim", Builtin::Trim, "trim(s: str) -> str"},
      {"contains", Builtin::Contains, "contains(s: str, part: str) -> bool or contains(items: list[T], x: T) -> bool"},
      {"range", Builtin::Range, "range(n: int) or range(start: int, end: int) -> list[int]"},
      {"print", Builtin::Print, "print(values...)"},
      {"text", Builtin::Text, "text() -> str"},
  };
  return specs;
}

// "a str", "an int", "an enum(...)", "an 'assistant' turn".
std::string a_(const std::string& what) {
  size_t i = what.empty() || what[0] != '\'' ? 0 : 1;
  char c = i < what.size() ? what[i] : 'x';
  bool vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || (c == 'u' && what.compare(i, 3, "use") != 0);
  return (vowel ? "an " : "a ") + what;
}
std::string a_(const Type* t) { return a_(t->to_string()); }

bool is_builtin_type_name(const std::string& n) {
  return n == "str" || n == "int" || n == "float" || n == "bool" || n == "list" || n == "regex";
}

struct Scope {
  enum Kind { Function, Block, Loop, Fork };
  Kind kind;
  std::unordered_map<std::string, Symbol*> names;
};

// A name that went out of scope, remembered for "did you mean" notes.
struct EndedName {
  std::string name;
  Span span;
};

class Checker {
 public:
  Checker(Program& prog, DiagnosticEngine& diags, ast::Module& module, ModuleInfo& info,
          const std::vector<Symbol*>& builtins)
      : prog_(prog), T(prog.types), diags_(diags), module_(module), info_(info), file_(module.file), builtins_(builtins) {}

  // The REPL's session variables (SemaOptions::outer_vars), for the function named `fn`.
  void set_outer_vars(const std::string& fn, std::vector<OuterVar>* vars) {
    outer_fn_ = fn;
    outer_vars_ = vars;
  }

  void declare_top_level();
  void check_signatures();
  void check_bodies();

 private:
  // ---------------------------------------------------------------- helpers
  Diagnostic& error(Span s, std::string msg) { return diags_.error(file_, s, std::move(msg)); }
  Diagnostic& warning(Span s, std::string msg) { return diags_.warning(file_, s, std::move(msg)); }
  void note(Diagnostic& d, const SourceFile* f, Span s, std::string msg) { d.notes.push_back({f, s, std::move(msg)}); }

  Symbol* new_symbol(Symbol::Kind kind, const std::string& name, const Type* type, Span span) {
    prog_.symbols.push_back({});
    Symbol* s = &prog_.symbols.back();
    s->kind = kind;
    s->name = name;
    s->type = type;
    s->file = file_;
    s->span = span;
    return s;
  }

  Symbol* lookup(const std::string& name) {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto f = it->names.find(name);
      if (f != it->names.end()) return f->second;
      if (it->kind == Scope::Function) break;
    }
    if (Symbol* s = info_.find(name)) return s;
    for (Symbol* b : builtins_)
      if (b->name == name) return b;
    return nullptr;
  }

  // Index of the scope holding `sym`, or -1 for module-level names.
  int scope_index_of(Symbol* sym) {
    for (int i = static_cast<int>(scopes_.size()) - 1; i >= 0; --i) {
      for (auto& [n, s] : scopes_[i].names)
        if (s == sym) return i;
    }
    return -1;
  }

  std::vector<std::string> visible_names() {
    std::vector<std::string> out;
    for (auto& sc : scopes_)
      for (auto& [n, s] : sc.names) out.push_back(n);
    for (auto& [n, s] : info_.names) out.push_back(n);
    for (Symbol* b : builtins_) out.push_back(b->name);
    return out;
  }

  void declare_local(Symbol* sym) {
    Scope& sc = scopes_.back();
    auto it = sc.names.find(sym->name);
    if (it != sc.names.end()) {
      Diagnostic& d = error(sym->span, "'" + sym->name + "' is already defined in this scope");
      note(d, it->second->file, it->second->span, "previous definition is here");
      return;
    }
    sc.names[sym->name] = sym;
  }

  void push_scope(Scope::Kind k) { scopes_.push_back({k, {}}); }
  void pop_scope() {
    for (auto& [n, s] : scopes_.back().names) ended_.push_back({n, s->span});
    scopes_.pop_back();
  }

  std::string suggestion(const std::string& name, const std::vector<std::string>& candidates) {
    std::string c = closest_name(name, candidates);
    return c.empty() ? "" : "; did you mean '" + c + "'?";
  }

  // ---------------------------------------------------------------- types
  const Type* resolve_type(const ast::TypeRef& t);
  bool type_ok_for_gen(const Type* t);

  // ---------------------------------------------------------------- statements
  void check_fn(ast::FnDecl& fn);
  void check_block(ast::Block& b, Scope::Kind kind);
  void check_stmts(ast::Block& b);
  void check_stmt(ast::Stmt& s);
  bool always_exits(const ast::Stmt& s);
  bool block_exits(const ast::Block& b);
  void check_append(ast::Append& a);
  void check_let(ast::Let& s);
  void check_assign(ast::Assign& s);
  void check_return(ast::Return& s);
  const Type* check_cond(ast::Expr& e, const char* what);

  // ---------------------------------------------------------------- expressions
  const Type* check_expr(ast::Expr& e, const Type* expected = nullptr);
  const Type* check_expr_inner(ast::Expr& e, const Type* expected);
  const Type* check_string(ast::StringLit& s);
  const Type* check_regex(ast::RegexLit& r);
  const Type* check_list(ast::ListLit& l, const Type* expected);
  const Type* check_name(ast::NameRef& n);
  const Type* check_member(ast::Member& m);
  const Type* check_index(ast::Index& ix);
  const Type* check_call(ast::Call& c);
  const Type* check_builtin_call(ast::Call& c, Symbol* sym);
  const Type* check_user_call(ast::Call& c, ast::FnDecl& fn, Symbol* sym);
  const Type* check_unary(ast::Unary& u);
  const Type* check_binary(ast::Binary& b);
  const Type* check_gen(ast::Gen& g);
  const Type* check_select(ast::Select& s);
  const Type* check_fork(ast::Fork& f);
  const Type* check_spawn(ast::Spawn& s);
  void check_option_value(const OptionSpec& spec, ast::Arg& a, const char* what);
  void validate_regex(const std::string& pattern, Span span, uint32_t pattern_offset);
  void bind_stream_var(const std::string& name, Span span, const Type* type, Symbol*& out);
  void check_enum_literal(const Type* enum_t, ast::Expr& e);

  // Stream variables (gen/select names) a block defines, not looking into nested forks.
  void collect_stream_vars(ast::Block& b, StreamVars& out);
  void collect_stream_vars(ast::Stmt& s, StreamVars& out);
  void collect_stream_vars(ast::Expr& e, StreamVars& out);
  const Type* gen_result_type(ast::Gen& g);
  const Type* select_result_type(ast::Select& s);
  const StreamVars* fn_stream_vars(ast::FnDecl& fn);

  Program& prog_;
  TypeContext& T;
  DiagnosticEngine& diags_;
  ast::Module& module_;
  ModuleInfo& info_;
  const SourceFile* file_;
  const std::vector<Symbol*>& builtins_;
  std::string outer_fn_;
  std::vector<OuterVar>* outer_vars_ = nullptr;

  std::vector<Scope> scopes_;
  std::vector<EndedName> ended_;
  ast::FnDecl* fn_ = nullptr;
  const Type* ret_ = nullptr;
  int loop_depth_ = 0;
  int fork_scope_ = -1;  // index of the innermost fork body scope, -1 outside forks
  std::vector<std::pair<ast::Role, Span>> roles_;
  std::unordered_map<const ast::FnDecl*, const StreamVars*> fn_vars_;
  std::unordered_map<const ast::TypeRef*, const Type*> resolved_gen_types_;
};

// ================================================================== declarations

void Checker::declare_top_level() {
  for (auto& d : module_.decls) {
    if (d->kind == ast::DeclKind::Import) continue;  // declared by check_module
    Symbol::Kind kind = d->kind == ast::DeclKind::Fn       ? Symbol::Kind::Function
                        : d->kind == ast::DeclKind::Schema ? Symbol::Kind::Schema
                                                           : Symbol::Kind::Enum;
    if (Symbol* prev = info_.find(d->name)) {
      if (prev->kind == Symbol::Kind::Module && prev->span.begin > d->name_span.begin) {
        // Imports are declared first; blame whichever definition comes later in the file.
        Diagnostic& e = error(prev->span, "'" + d->name + "' is already defined");
        note(e, file_, d->name_span, "the other definition is here");
      } else {
        Diagnostic& e = error(d->name_span, "'" + d->name + "' is already defined");
        note(e, prev->file, prev->span, "previous definition is here");
      }
      continue;
    }
    if (kind == Symbol::Kind::Function) {
      for (Symbol* b : builtins_)
        if (b->name == d->name) {
          error(d->name_span, "'" + d->name + "' is a built-in function and cannot be redefined");
          goto next;
        }
    } else if (is_builtin_type_name(d->name)) {
      error(d->name_span, "'" + d->name + "' is a built-in type and cannot be redefined");
      continue;
    }
    {
      Symbol* s = new_symbol(kind, d->name, nullptr, d->name_span);
      if (kind == Symbol::Kind::Function) {
        s->fn = &d->as<ast::FnDecl>();
        s->fn->symbol = s;
      } else if (kind == Symbol::Kind::Schema) {
        s->schema = &d->as<ast::SchemaDecl>();
        s->type = T.schema(s->schema);
      } else {
        s->enum_decl = &d->as<ast::EnumDecl>();
      }
      info_.names.push_back({d->name, s});
    }
  next:;
  }
}

void Checker::check_signatures() {
  // Enums first (schemas and signatures refer to them), then schema fields, then functions.
  for (auto& d : module_.decls) {
    if (d->kind != ast::DeclKind::Enum) continue;
    auto& e = d->as<ast::EnumDecl>();
    std::set<std::string> seen;
    for (size_t i = 0; i < e.values.size(); ++i) {
      if (!seen.insert(e.values[i]).second) error(e.value_spans[i], "duplicate value '" + e.values[i] + "' in enum '" + e.name + "'");
    }
    if (e.values.empty()) error(e.name_span, "enum '" + e.name + "' has no values");
    if (Symbol* s = info_.find(e.name); s && s->enum_decl == &e) s->type = T.enum_type(e.name, e.values);
  }
  for (auto& d : module_.decls) {
    if (d->kind != ast::DeclKind::Schema) continue;
    auto& s = d->as<ast::SchemaDecl>();
    std::unordered_map<std::string, Span> seen;
    for (auto& f : s.fields) {
      auto [it, fresh] = seen.insert({f.name, f.name_span});
      if (!fresh) {
        Diagnostic& e = error(f.name_span, "duplicate field '" + f.name + "' in schema '" + s.name + "'");
        note(e, file_, it->second, "previous field is here");
      }
      const Type* t = resolve_type(f.type);
      if (!t->is_error() && !type_ok_for_gen(t)) {
        error(f.type.span, "a schema field cannot have type " + t->to_string() + " (fields hold JSON values)");
      }
    }
    if (s.fields.empty()) warning(s.name_span, "schema '" + s.name + "' has no fields");
  }
  for (auto& d : module_.decls) {
    if (d->kind != ast::DeclKind::Fn) continue;
    auto& fn = d->as<ast::FnDecl>();
    fn.resolved_return = fn.return_type ? resolve_type(*fn.return_type) : T.void_type();
    std::unordered_map<std::string, Span> seen;
    bool had_default = false;
    for (auto& p : fn.params) {
      auto [it, fresh] = seen.insert({p.name, p.name_span});
      if (!fresh) {
        Diagnostic& e = error(p.name_span, "duplicate parameter '" + p.name + "'");
        note(e, file_, it->second, "previous parameter is here");
      }
      const Type* t = resolve_type(p.type);
      p.symbol = new_symbol(Symbol::Kind::Param, p.name, t, p.name_span);
      if (p.default_value) {
        had_default = true;
        ast::ExprKind k = p.default_value->kind;
        bool literal = k == ast::ExprKind::Int || k == ast::ExprKind::Float || k == ast::ExprKind::Bool ||
                       k == ast::ExprKind::Regex || k == ast::ExprKind::List ||
                       (k == ast::ExprKind::String && p.default_value->as<ast::StringLit>().is_constant()) ||
                       (k == ast::ExprKind::Unary && p.default_value->as<ast::Unary>().operand->kind != ast::ExprKind::Name);
        if (!literal) {
          error(p.default_value->span, "a default value must be a literal");
        } else {
          const Type* dt = check_expr(*p.default_value, t);
          if (!assignable(dt, t))
            error(p.default_value->span, "default value of '" + p.name + "' must be " + t->to_string() + ", found " + dt->to_string());
        }
      } else if (had_default) {
        error(p.name_span, "parameter '" + p.name + "' has no default value but follows one that has");
      }
    }
    if (fn.name == "main" && &module_ == prog_.main_module) {
      prog_.main_fn = &fn;
      for (auto& p : fn.params) {
        TypeKind k = p.symbol->type->kind;
        if (k != TypeKind::Str && k != TypeKind::Int && k != TypeKind::Float && k != TypeKind::Bool && k != TypeKind::Error)
          error(p.type.span, "main's parameter '" + p.name + "' must be str, int, float or bool (its value comes from --arg " + p.name + "=VALUE)");
      }
      if (fn.return_type) error(fn.return_type->span, "main cannot return a value");
    }
  }
}

const Type* Checker::resolve_type(const ast::TypeRef& t) {
  if (t.inline_enum) {
    std::set<std::string> seen;
    for (size_t i = 0; i < t.enum_values.size(); ++i)
      if (!seen.insert(t.enum_values[i]).second) error(t.enum_value_spans[i], "duplicate value '" + t.enum_values[i] + "' in enum");
    return T.enum_type("", t.enum_values);
  }
  auto no_arg = [&](const Type* r) {
    if (t.arg) {
      error(t.arg->span, "type '" + t.name + "' takes no type argument");
      return T.error();
    }
    return r;
  };
  if (t.name == "str") return no_arg(T.str_type());
  if (t.name == "int") return no_arg(T.int_type());
  if (t.name == "float") return no_arg(T.float_type());
  if (t.name == "bool") return no_arg(T.bool_type());
  if (t.name == "regex") return no_arg(T.regex_type());
  if (t.name == "list") {
    if (!t.arg) {
      error(t.span, "list needs an element type, as in list[str]");
      return T.error();
    }
    const Type* e = resolve_type(*t.arg);
    return e->is_error() ? T.error() : T.list_of(e);
  }
  Symbol* s = info_.find(t.name);
  if (s && (s->kind == Symbol::Kind::Schema || s->kind == Symbol::Kind::Enum)) {
    if (s->kind == Symbol::Kind::Enum && !s->type) s->type = T.enum_type(s->name, s->enum_decl->values);
    return no_arg(s->type);
  }
  std::vector<std::string> cands = {"str", "int", "float", "bool", "list", "regex"};
  for (auto& [n, sym] : info_.names)
    if (sym->kind == Symbol::Kind::Schema || sym->kind == Symbol::Kind::Enum) cands.push_back(n);
  static const std::map<std::string, std::string> aliases = {
      {"string", "str"}, {"String", "str"}, {"integer", "int"}, {"i64", "int"}, {"boolean", "bool"},
      {"double", "float"}, {"number", "float"}, {"f64", "float"}, {"array", "list"}, {"List", "list"}};
  auto alias = aliases.find(t.name);
  if (s) {
    error(t.span, "'" + t.name + "' is not a type");
  } else if (alias != aliases.end()) {
    error(t.span, "unknown type '" + t.name + "'; did you mean '" + alias->second + "'?");
  } else {
    error(t.span, "unknown type '" + t.name + "'" + suggestion(t.name, cands));
  }
  return T.error();
}

bool Checker::type_ok_for_gen(const Type* t) {
  switch (t->kind) {
    case TypeKind::Str: case TypeKind::Int: case TypeKind::Float: case TypeKind::Bool: case TypeKind::Enum:
    case TypeKind::Schema: case TypeKind::Error:
      return true;
    case TypeKind::List:
      return type_ok_for_gen(t->elem);
    default:
      return false;
  }
}

// ================================================================== stream variables

const Type* Checker::gen_result_type(ast::Gen& g) {
  if (!g.target_type) return T.str_type();
  auto it = resolved_gen_types_.find(g.target_type.get());
  if (it != resolved_gen_types_.end()) return it->second;
  const Type* t = resolve_type(*g.target_type);
  if (!t->is_error() && !type_ok_for_gen(t)) {
    error(g.target_type->span, "gen cannot produce " + a_(t) +
                                   " (typed gen takes str, int, float, bool, an enum, a schema or a list of them)");
    t = T.error();
  }
  resolved_gen_types_[g.target_type.get()] = t;
  return t;
}

const Type* Checker::select_result_type(ast::Select& s) {
  std::vector<std::string> values;
  for (auto& a : s.args) {
    if (!a.name.empty()) continue;
    if (a.value->kind != ast::ExprKind::String || !a.value->as<ast::StringLit>().is_constant()) return T.str_type();
    std::string v = a.value->as<ast::StringLit>().constant_text();
    if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
  }
  return values.empty() ? T.str_type() : T.enum_type("", values);
}

void Checker::collect_stream_vars(ast::Expr& e, StreamVars& out) {
  auto add = [&](const std::string& name, const Type* t) {
    if (!name.empty() && !out.vars.count(name)) out.vars[name] = t;
  };
  switch (e.kind) {
    case ast::ExprKind::Gen: {
      auto& g = e.as<ast::Gen>();
      for (auto& o : g.options) collect_stream_vars(*o.value, out);
      add(g.name, gen_result_type(g));
      break;
    }
    case ast::ExprKind::Select: {
      auto& s = e.as<ast::Select>();
      for (auto& a : s.args) collect_stream_vars(*a.value, out);
      add(s.name, select_result_type(s));
      break;
    }
    case ast::ExprKind::Fork: {
      auto& f = e.as<ast::Fork>();  // the body's variables belong to the branches
      if (f.count) collect_stream_vars(*f.count, out);
      if (f.list) collect_stream_vars(*f.list, out);
      break;
    }
    case ast::ExprKind::String:
      for (auto& p : e.as<ast::StringLit>().parts)
        if (p.expr) collect_stream_vars(*p.expr, out);
      break;
    case ast::ExprKind::List:
      for (auto& i : e.as<ast::ListLit>().items) collect_stream_vars(*i, out);
      break;
    case ast::ExprKind::Member: collect_stream_vars(*e.as<ast::Member>().object, out); break;
    case ast::ExprKind::Index:
      collect_stream_vars(*e.as<ast::Index>().object, out);
      collect_stream_vars(*e.as<ast::Index>().index, out);
      break;
    case ast::ExprKind::Call:
      collect_stream_vars(*e.as<ast::Call>().callee, out);
      for (auto& a : e.as<ast::Call>().args) collect_stream_vars(*a.value, out);
      break;
    case ast::ExprKind::Unary: collect_stream_vars(*e.as<ast::Unary>().operand, out); break;
    case ast::ExprKind::Binary:
      collect_stream_vars(*e.as<ast::Binary>().lhs, out);
      collect_stream_vars(*e.as<ast::Binary>().rhs, out);
      break;
    case ast::ExprKind::Spawn: break;  // runs on its own stream
    default: break;
  }
}

void Checker::collect_stream_vars(ast::Stmt& s, StreamVars& out) {
  switch (s.kind) {
    case ast::StmtKind::Let: collect_stream_vars(*s.as<ast::Let>().value, out); break;
    case ast::StmtKind::Assign: collect_stream_vars(*s.as<ast::Assign>().value, out); break;
    case ast::StmtKind::If: {
      auto& i = s.as<ast::If>();
      collect_stream_vars(*i.cond, out);
      collect_stream_vars(i.then_block, out);
      if (i.else_if) collect_stream_vars(*i.else_if, out);
      if (i.else_block) collect_stream_vars(*i.else_block, out);
      break;
    }
    case ast::StmtKind::For:
      collect_stream_vars(*s.as<ast::For>().iterable, out);
      collect_stream_vars(s.as<ast::For>().body, out);
      break;
    case ast::StmtKind::While:
      collect_stream_vars(*s.as<ast::While>().cond, out);
      collect_stream_vars(s.as<ast::While>().body, out);
      break;
    case ast::StmtKind::Return:
      if (s.as<ast::Return>().value) collect_stream_vars(*s.as<ast::Return>().value, out);
      break;
    case ast::StmtKind::Role: collect_stream_vars(s.as<ast::RoleStmt>().body, out); break;
    case ast::StmtKind::Append:
      for (auto& i : s.as<ast::Append>().items) collect_stream_vars(*i, out);
      break;
    default: break;
  }
}

void Checker::collect_stream_vars(ast::Block& b, StreamVars& out) {
  for (auto& s : b.stmts) collect_stream_vars(*s, out);
}

const StreamVars* Checker::fn_stream_vars(ast::FnDecl& fn) {
  auto it = fn_vars_.find(&fn);
  if (it != fn_vars_.end()) return it->second;
  StreamVars vars;
  collect_stream_vars(fn.body, vars);
  const Type* holder = T.branch(std::move(vars));  // owned by the type context
  fn_vars_[&fn] = holder->stream_vars;
  return holder->stream_vars;
}

// ================================================================== functions and statements

void Checker::check_bodies() {
  for (auto& d : module_.decls) {
    if (d->kind == ast::DeclKind::Fn) check_fn(d->as<ast::FnDecl>());
  }
}

void Checker::check_fn(ast::FnDecl& fn) {
  fn_ = &fn;
  ret_ = fn.resolved_return ? fn.resolved_return : T.void_type();
  loop_depth_ = 0;
  fork_scope_ = -1;
  roles_.clear();
  ended_.clear();
  scopes_.clear();
  push_scope(Scope::Function);
  for (auto& p : fn.params) {
    if (p.symbol && !scopes_.back().names.count(p.name)) scopes_.back().names[p.name] = p.symbol;
  }
  // The REPL's session variables live in the function scope; the body gets a block scope of its
  // own inside it, so that `let x` at its top level shadows a session variable x.
  const bool outer = outer_vars_ && fn.name == outer_fn_;
  if (outer) {
    for (OuterVar& v : *outer_vars_) {
      v.symbol = new_symbol(Symbol::Kind::Local, v.name, v.type, {0, 0});
      v.symbol->file = nullptr;  // declared by an earlier input: no position in this file
      scopes_.back().names[v.name] = v.symbol;
    }
    push_scope(Scope::Block);
  }
  check_stmts(fn.body);
  if (outer) pop_scope();
  if (ret_->kind != TypeKind::Void && !ret_->is_error() && !block_exits(fn.body)) {
    uint32_t close = fn.body.span.end > fn.body.span.begin ? fn.body.span.end - 1 : fn.body.span.begin;
    error({close, close + 1}, "function '" + fn.name + "' must return " + a_(ret_) +
                                  ", but the end of its body can be reached");
  }
  pop_scope();
  fn_ = nullptr;
}

void Checker::check_block(ast::Block& b, Scope::Kind kind) {
  push_scope(kind);
  check_stmts(b);
  pop_scope();
}

void Checker::check_stmts(ast::Block& b) {
  bool exited = false;
  bool warned = false;
  for (auto& s : b.stmts) {
    if (exited && !warned) {
      warning(s->span, "unreachable code");
      warned = true;
    }
    check_stmt(*s);
    if (always_exits(*s)) exited = true;
  }
}

bool Checker::always_exits(const ast::Stmt& s) {
  switch (s.kind) {
    case ast::StmtKind::Return: case ast::StmtKind::Break: case ast::StmtKind::Continue:
      return true;
    case ast::StmtKind::If: {
      auto& i = s.as<ast::If>();
      if (!block_exits(i.then_block)) return false;
      if (i.else_if) return always_exits(*i.else_if);
      return i.else_block && block_exits(*i.else_block);
    }
    case ast::StmtKind::Role: return block_exits(s.as<ast::RoleStmt>().body);
    default:
      return false;
  }
}

bool Checker::block_exits(const ast::Block& b) {
  for (auto& s : b.stmts)
    if (always_exits(*s)) return true;
  return false;
}

const Type* Checker::check_cond(ast::Expr& e, const char* what) {
  const Type* t = check_expr(e);
  if (t->kind != TypeKind::Bool && !t->is_error())
    error(e.span, std::string("the condition of ") + what + " must be a bool, found " + t->to_string());
  return t;
}

void Checker::check_stmt(ast::Stmt& s) {
  switch (s.kind) {
    case ast::StmtKind::Let: check_let(s.as<ast::Let>()); break;
    case ast::StmtKind::Assign: check_assign(s.as<ast::Assign>()); break;
    case ast::StmtKind::If: {
      auto& i = s.as<ast::If>();
      check_cond(*i.cond, "'if'");
      check_block(i.then_block, Scope::Block);
      if (i.else_if) check_stmt(*i.else_if);
      if (i.else_block) check_block(*i.else_block, Scope::Block);
      break;
    }
    case ast::StmtKind::For: {
      auto& f = s.as<ast::For>();
      const Type* t = check_expr(*f.iterable);
      const Type* elem = T.error();
      if (t->kind == TypeKind::List) {
        elem = t->elem;
      } else if (!t->is_error()) {
        error(f.iterable->span, "a for loop needs a list, found " + t->to_string() +
                                    (t->kind == TypeKind::Int ? " (use range(n) to count)" : ""));
      }
      push_scope(Scope::Loop);
      f.var_symbol = new_symbol(Symbol::Kind::LoopVar, f.var, elem, f.var_span);
      declare_local(f.var_symbol);
      ++loop_depth_;
      check_block(f.body, Scope::Block);
      --loop_depth_;
      pop_scope();
      break;
    }
    case ast::StmtKind::While: {
      auto& w = s.as<ast::While>();
      check_cond(*w.cond, "'while'");
      ++loop_depth_;
      check_block(w.body, Scope::Loop);
      --loop_depth_;
      break;
    }
    case ast::StmtKind::Break: case ast::StmtKind::Continue: {
      const char* kw = s.kind == ast::StmtKind::Break ? "break" : "continue";
      if (loop_depth_ == 0) {
        error(s.span, fork_scope_ >= 0 ? std::string("'") + kw + "' cannot leave a fork body; a branch ends at the end of its block"
                                       : std::string("'") + kw + "' outside a loop");
      }
      break;
    }
    case ast::StmtKind::Return: check_return(s.as<ast::Return>()); break;
    case ast::StmtKind::Role: {
      auto& r = s.as<ast::RoleStmt>();
      if (!roles_.empty()) {
        Diagnostic& d = error(r.role_span, a_(std::string("'") + ast::to_string(r.role) + "'") + " turn cannot be inside " +
                                               a_(std::string("'") + ast::to_string(roles_.back().first) + "'") + " turn");
        note(d, file_, roles_.back().second, "the enclosing turn starts here");
      }
      roles_.push_back({r.role, r.role_span});
      check_stmts(r.body);  // a turn is not a scope: names it binds stay visible after it
      roles_.pop_back();
      break;
    }
    case ast::StmtKind::Append: check_append(s.as<ast::Append>()); break;
  }
}

void Checker::check_let(ast::Let& s) {
  const Type* declared = s.declared_type ? resolve_type(*s.declared_type) : nullptr;
  const Type* t = check_expr(*s.value, declared);
  if (declared) {
    if (!assignable(t, declared)) {
      error(s.value->span, "cannot initialise '" + s.name + "' of type " + declared->to_string() + " with " + a_(t));
    }
    t = declared;
  } else if (t->kind == TypeKind::Void) {
    error(s.value->span, "this expression has no value to store in '" + s.name + "'");
    t = T.error();
  } else if (t->kind == TypeKind::List && t->elem->is_error() && s.value->kind == ast::ExprKind::List &&
             s.value->as<ast::ListLit>().items.empty()) {
    error(s.value->span, "cannot tell the element type of []; write let " + s.name + ": list[str] = []");
  }
  s.symbol = new_symbol(Symbol::Kind::Local, s.name, t, s.name_span);
  declare_local(s.symbol);
}

void Checker::check_assign(ast::Assign& s) {
  Symbol* sym = lookup(s.name);
  const Type* vt = check_expr(*s.value, sym ? sym->type : nullptr);
  if (!sym) {
    error(s.name_span, "unknown name '" + s.name + "'" + suggestion(s.name, visible_names()) +
                           " (declare it first with let)");
    return;
  }
  s.symbol = sym;
  switch (sym->kind) {
    case Symbol::Kind::Local: case Symbol::Kind::StreamVar: break;
    case Symbol::Kind::Param: error(s.name_span, "cannot assign to parameter '" + s.name + "'; copy it with let first"); return;
    case Symbol::Kind::LoopVar: error(s.name_span, "cannot assign to loop variable '" + s.name + "'"); return;
    default: error(s.name_span, "cannot assign to '" + s.name + "': it is not a variable"); return;
  }
  if (fork_scope_ >= 0 && scope_index_of(sym) < fork_scope_) {
    error(s.name_span, "cannot assign to '" + s.name + "' inside a fork body: branches run at the same time; "
                       "bind results with gen or select and read them from the fork's value");
    return;
  }
  const Type* target = sym->type;
  if (s.append) {
    bool ok = target->is_error() || vt->is_error() ||
              (target->kind == TypeKind::Str && vt->is_scalar()) ||
              (target->kind == TypeKind::Int && vt->kind == TypeKind::Int) ||
              (target->kind == TypeKind::Float && vt->is_numeric()) ||
              (target->kind == TypeKind::List && assignable(vt, target));
    if (!ok) error(s.value->span, "cannot add " + a_(vt) + " to '" + s.name + "' of type " + target->to_string());
  } else if (!assignable(vt, target)) {
    error(s.value->span, "cannot assign " + a_(vt) + " to '" + s.name + "' of type " + target->to_string());
  }
}

void Checker::check_return(ast::Return& s) {
  if (fork_scope_ >= 0) {
    error(s.span, "cannot return from inside a fork body; a branch ends at the end of its block");
    if (s.value) check_expr(*s.value);
    return;
  }
  if (ret_->kind == TypeKind::Void) {
    if (s.value) {
      check_expr(*s.value);
      error(s.value->span, "function '" + fn_->name + "' returns nothing; remove the value or declare '-> TYPE'");
    }
    return;
  }
  if (!s.value) {
    if (!ret_->is_error()) error(s.span, "function '" + fn_->name + "' must return " + a_(ret_));
    return;
  }
  const Type* t = check_expr(*s.value, ret_);
  if (!assignable(t, ret_))
    error(s.value->span, "function '" + fn_->name + "' returns " + ret_->to_string() + ", not " + t->to_string());
}

void Checker::check_append(ast::Append& a) {
  if (a.items.size() == 1 && !a.role_inline) {
    ast::ExprKind k = a.items[0]->kind;
    if (k == ast::ExprKind::Call || k == ast::ExprKind::Fork || k == ast::ExprKind::Spawn) {
      a.is_call_statement = k == ast::ExprKind::Call;
      check_expr(*a.items[0]);
      return;
    }
  }
  for (auto& item : a.items) {
    const Type* t = check_expr(*item);
    if (item->kind == ast::ExprKind::Gen || item->kind == ast::ExprKind::Select) continue;  // they write the stream
    if (t->is_error() || t->is_scalar()) continue;
    std::string what = item->kind == ast::ExprKind::Call ? "this call" : "this expression";
    if (t->kind == TypeKind::Void) {
      error(item->span, what + " returns nothing, so there is no text to append");
    } else if (t->kind == TypeKind::List) {
      error(item->span, "cannot append " + a_(t) + " to the stream; use join(list, sep)");
    } else if (t->kind == TypeKind::Schema) {
      error(item->span, "cannot append " + a_(t) + " to the stream; use str(x) for its JSON text");
    } else {
      error(item->span, "cannot append " + a_(t) + " to the stream");
    }
  }
}

// ================================================================== expressions

const Type* Checker::check_expr(ast::Expr& e, const Type* expected) {
  const Type* t = check_expr_inner(e, expected);
  e.type = t ? t : T.error();
  return e.type;
}

const Type* Checker::check_expr_inner(ast::Expr& e, const Type* expected) {
  switch (e.kind) {
    case ast::ExprKind::Int: return T.int_type();
    case ast::ExprKind::Float: return T.float_type();
    case ast::ExprKind::Bool: return T.bool_type();
    case ast::ExprKind::String: return check_string(e.as<ast::StringLit>());
    case ast::ExprKind::Regex: return check_regex(e.as<ast::RegexLit>());
    case ast::ExprKind::List: return check_list(e.as<ast::ListLit>(), expected);
    case ast::ExprKind::Name: return check_name(e.as<ast::NameRef>());
    case ast::ExprKind::Member: return check_member(e.as<ast::Member>());
    case ast::ExprKind::Index: return check_index(e.as<ast::Index>());
    case ast::ExprKind::Call: return check_call(e.as<ast::Call>());
    case ast::ExprKind::Unary: return check_unary(e.as<ast::Unary>());
    case ast::ExprKind::Binary: return check_binary(e.as<ast::Binary>());
    case ast::ExprKind::Gen: return check_gen(e.as<ast::Gen>());
    case ast::ExprKind::Select: return check_select(e.as<ast::Select>());
    case ast::ExprKind::Fork: return check_fork(e.as<ast::Fork>());
    case ast::ExprKind::Spawn: return check_spawn(e.as<ast::Spawn>());
  }
  return T.error();
}

const Type* Checker::check_string(ast::StringLit& s) {
  for (auto& p : s.parts) {
    if (!p.expr) continue;
    const Type* t = check_expr(*p.expr);
    if (t->is_error() || t->is_scalar()) continue;
    if (t->kind == TypeKind::List) {
      error(p.expr->span, "cannot interpolate " + a_(t) + "; use join(list, sep)");
    } else {
      error(p.expr->span, "cannot interpolate " + a_(t) + " into a string");
    }
  }
  return T.str_type();
}

void Checker::validate_regex(const std::string& pattern, Span span, uint32_t pattern_offset) {
  RE2::Options opts;
  opts.set_log_errors(false);
  RE2 re(pattern, opts);
  if (re.ok()) return;
  // Point at the offending part when RE2 tells us which it is.
  Span where = span;
  const std::string& arg = re.error_arg();
  if (!arg.empty() && pattern_offset != UINT32_MAX) {
    size_t pos = pattern.find(arg);
    if (pos != std::string::npos) {
      where = {span.begin + pattern_offset + static_cast<uint32_t>(pos),
               span.begin + pattern_offset + static_cast<uint32_t>(pos + arg.size())};
    }
  }
  std::string msg = re.error();
  error(where, "invalid regex: " + msg);
}

const Type* Checker::check_regex(ast::RegexLit& r) {
  validate_regex(r.pattern, r.span, 1);
  return T.regex_type();
}

const Type* Checker::check_list(ast::ListLit& l, const Type* expected) {
  // Items decide the element type; the expected type only fills in for [] (a mismatch is then
  // reported once, on the whole list, by the caller).
  const Type* want = expected && expected->kind == TypeKind::List && l.items.empty() ? expected->elem : nullptr;
  const Type* elem = want;
  for (auto& item : l.items) {
    const Type* t = check_expr(*item, elem && elem->kind == TypeKind::List ? elem : nullptr);
    if (t->is_error()) continue;
    if (t->kind == TypeKind::Void) {
      error(item->span, "this expression has no value to put in a list");
      continue;
    }
    if (!elem) {
      elem = t->kind == TypeKind::Enum && !want ? T.str_type() : t;
      if (t->kind == TypeKind::Enum && !want) elem = t;
      continue;
    }
    if (assignable(t, elem)) continue;
    if (assignable(elem, t) && !want) {  // widen: [1, 2.5] is list[float]
      elem = t;
      continue;
    }
    if (elem->kind == TypeKind::Enum && t->kind == TypeKind::Str && !want) {
      elem = T.str_type();
      continue;
    }
    error(item->span, "list items must all have one type: expected " + elem->to_string() + ", found " + t->to_string());
  }
  return T.list_of(elem ? elem : T.error());
}

const Type* Checker::check_name(ast::NameRef& n) {
  Symbol* s = lookup(n.name);
  if (!s) {
    Diagnostic& d = error(n.span, "unknown name '" + n.name + "'" + suggestion(n.name, visible_names()));
    for (auto it = ended_.rbegin(); it != ended_.rend(); ++it) {
      if (it->name == n.name) {
        note(d, file_, it->span, "'" + n.name + "' is defined here, but its block ended before this use");
        break;
      }
    }
    return T.error();
  }
  n.symbol = s;
  switch (s->kind) {
    case Symbol::Kind::Function:
      error(n.span, "'" + n.name + "' is a function; call it with (...)");
      return T.error();
    case Symbol::Kind::Builtin:
      error(n.span, "'" + n.name + "' is a built-in function; call it with (...)");
      return T.error();
    case Symbol::Kind::Schema:
      error(n.span, "'" + n.name + "' is a schema type, not a value; generate one with gen x: " + n.name);
      return T.error();
    case Symbol::Kind::Enum:
    case Symbol::Kind::Module:
      // Only valid before '.'; check_member handles that case without coming here.
      error(n.span, "'" + n.name + "' is " + (s->kind == Symbol::Kind::Enum ? "an enum type" : "a module") +
                        ", not a value; use " + n.name + ".NAME");
      return T.error();
    default:
      return s->type ? s->type : T.error();
  }
}

const Type* Checker::check_member(ast::Member& m) {
  // Enum values and module members: the object is a name that is not a value.
  if (m.object->kind == ast::ExprKind::Name) {
    auto& n = m.object->as<ast::NameRef>();
    Symbol* s = lookup(n.name);
    if (s && s->kind == Symbol::Kind::Enum) {
      n.symbol = s;
      const Type* et = s->type ? s->type : T.enum_type(s->name, s->enum_decl->values);
      n.type = et;
      const auto& vals = s->enum_decl->values;
      if (std::find(vals.begin(), vals.end(), m.name) == vals.end()) {
        error(m.name_span, "enum '" + s->name + "' has no value '" + m.name + "'" + suggestion(m.name, vals));
        return T.error();
      }
      return et;
    }
    if (s && s->kind == Symbol::Kind::Module) {
      n.symbol = s;
      Symbol* f = s->module->find(m.name);
      if (!f) {
        std::vector<std::string> names;
        for (auto& [nm, sym] : s->module->names) names.push_back(nm);
        error(m.name_span, "module '" + s->module->name + "' has no '" + m.name + "'" + suggestion(m.name, names));
      } else {
        error(m.span, "'" + s->module->name + "." + m.name + "' is a function; call it with (...)");
      }
      return T.error();
    }
  }
  const Type* t = check_expr(*m.object);
  if (t->is_error()) return T.error();
  auto stream_member = [&](const StreamVars* vars, const char* what) -> const Type* {
    if (m.name == "text") return T.str_type();
    auto it = vars->vars.find(m.name);
    if (it != vars->vars.end()) return it->second;
    std::vector<std::string> names;
    for (auto& [n, ty] : vars->vars) names.push_back(n);
    std::string defined;
    for (auto& n : names) defined += (defined.empty() ? "" : ", ") + n;
    Diagnostic& d = error(m.name_span, std::string(what) + " '" + m.name + "'" + suggestion(m.name, names));
    note(d, nullptr, {}, defined.empty() ? std::string("it defines no gen or select variables; .text reads its text")
                                         : "its variables are: " + defined + " (and .text)");
    return T.error();
  };
  switch (t->kind) {
    case TypeKind::Schema: {
      for (auto& f : t->schema->fields) {
        if (f.name == m.name) return resolve_type(f.type);
      }
      std::vector<std::string> names;
      for (auto& f : t->schema->fields) names.push_back(f.name);
      error(m.name_span, "schema '" + t->schema->name + "' has no field '" + m.name + "'" + suggestion(m.name, names));
      return T.error();
    }
    case TypeKind::Branch: return stream_member(t->stream_vars, "no branch of this fork defines a variable");
    case TypeKind::List:
      if (t->elem->kind == TypeKind::Branch) {
        const Type* et = stream_member(t->elem->stream_vars, "no branch of this fork defines a variable");
        return et->is_error() ? et : T.list_of(et);
      }
      break;
    case TypeKind::Task:
      if (m.name == "result") {
        if (t->task_result->kind == TypeKind::Void) {
          error(m.name_span, "'" + t->task_fn->name + "' returns nothing, so its task has no result");
          return T.error();
        }
        return t->task_result;
      }
      return stream_member(t->stream_vars, ("the spawned function '" + t->task_fn->name + "' defines no variable").c_str());
    default: break;
  }
  error(m.name_span, "" + a_(t) + " has no member '" + m.name + "'" +
                         (t->kind == TypeKind::List || t->kind == TypeKind::Str ? " (use len(x) for its length)" : ""));
  return T.error();
}

const Type* Checker::check_index(ast::Index& ix) {
  const Type* t = check_expr(*ix.object);
  const Type* it = check_expr(*ix.index);
  if (!it->is_error() && it->kind != TypeKind::Int) error(ix.index->span, "an index must be an int, found " + it->to_string());
  if (t->is_error()) return T.error();
  if (t->kind == TypeKind::List) return t->elem;
  error(ix.object->span, "cannot index " + a_(t) + "; only lists can be indexed");
  return T.error();
}

const Type* Checker::check_call(ast::Call& c) {
  Symbol* sym = nullptr;
  if (c.callee->kind == ast::ExprKind::Name) {
    auto& n = c.callee->as<ast::NameRef>();
    sym = lookup(n.name);
    if (!sym) {
      std::vector<std::string> fns;
      for (auto& [nm, s] : info_.names)
        if (s->kind == Symbol::Kind::Function) fns.push_back(nm);
      for (Symbol* b : builtins_) fns.push_back(b->name);
      error(n.span, "unknown function '" + n.name + "'" + suggestion(n.name, fns));
      for (auto& a : c.args) check_expr(*a.value);
      return T.error();
    }
    n.symbol = sym;
  } else if (c.callee->kind == ast::ExprKind::Member && c.callee->as<ast::Member>().object->kind == ast::ExprKind::Name) {
    auto& m = c.callee->as<ast::Member>();
    auto& n = m.object->as<ast::NameRef>();
    Symbol* ms = lookup(n.name);
    if (ms && ms->kind == Symbol::Kind::Module) {
      n.symbol = ms;
      sym = ms->module->find(m.name);
      if (!sym || sym->kind != Symbol::Kind::Function) {
        std::vector<std::string> names;
        for (auto& [nm, s] : ms->module->names)
          if (s->kind == Symbol::Kind::Function) names.push_back(nm);
        error(m.name_span, "module '" + ms->module->name + "' has no function '" + m.name + "'" + suggestion(m.name, names));
        for (auto& a : c.args) check_expr(*a.value);
        return T.error();
      }
    }
  }
  if (!sym) {
    const Type* t = check_expr(*c.callee);
    for (auto& a : c.args) check_expr(*a.value);
    if (!t->is_error()) {
      error(c.callee->span, c.callee->kind == ast::ExprKind::String
                                ? "a string cannot be called; to append a value in parentheses after it, use +"
                                : "" + a_(t) + " cannot be called");
    }
    return T.error();
  }
  c.target = sym;
  if (sym->kind == Symbol::Kind::Builtin) return check_builtin_call(c, sym);
  if (sym->kind == Symbol::Kind::Function) return check_user_call(c, *sym->fn, sym);
  const char* what = sym->kind == Symbol::Kind::Schema ? "a schema type" : sym->kind == Symbol::Kind::Enum ? "an enum type" : "not a function";
  error(c.callee->span, "'" + sym->name + "' is " + what + " and cannot be called");
  for (auto& a : c.args) check_expr(*a.value);
  return T.error();
}

const Type* Checker::check_builtin_call(ast::Call& c, Symbol* sym) {
  std::vector<const Type*> ts;
  for (auto& a : c.args) {
    if (!a.name.empty()) error(a.name_span, "built-in '" + sym->name + "' takes no named arguments");
    ts.push_back(check_expr(*a.value));
  }
  const BuiltinSpec* spec = nullptr;
  for (auto& b : builtin_specs())
    if (b.id == sym->builtin) spec = &b;
  auto arity = [&](size_t lo, size_t hi) {
    if (ts.size() >= lo && ts.size() <= hi) return true;
    error(c.span, "wrong number of arguments to " + sym->name + ": expected " + spec->signature + ", given " +
                      std::to_string(ts.size()));
    return false;
  };
  auto arg_is = [&](size_t i, bool ok, const char* want) {
    if (ts[i]->is_error() || ok) return true;
    error(c.args[i].value->span, "argument " + std::to_string(i + 1) + " of " + sym->name + " must be " + want +
                                     ", found " + ts[i]->to_string());
    return false;
  };
  auto is_str = [](const Type* t) { return t->kind == TypeKind::Str || t->kind == TypeKind::Enum; };
  switch (sym->builtin) {
    case Builtin::Len:
      if (arity(1, 1)) arg_is(0, is_str(ts[0]) || ts[0]->kind == TypeKind::List, "a str or a list");
      return T.int_type();
    case Builtin::Str:
      if (arity(1, 1)) {
        TypeKind k = ts[0]->kind;
        arg_is(0, ts[0]->is_scalar() || k == TypeKind::List || k == TypeKind::Schema, "a value with a text form");
      }
      return T.str_type();
    case Builtin::Int:
      if (arity(1, 1)) arg_is(0, is_str(ts[0]) || ts[0]->is_numeric() || ts[0]->kind == TypeKind::Bool, "a str, int, float or bool");
      return T.int_type();
    case Builtin::Float:
      if (arity(1, 1)) arg_is(0, is_str(ts[0]) || ts[0]->is_numeric(), "a str, int or float");
      return T.float_type();
    case Builtin::Join:
      if (arity(1, 2)) {
        arg_is(0, ts[0]->kind == TypeKind::List && (ts[0]->elem->is_scalar() || ts[0]->elem->is_error()), "a list of str (or of numbers)");
        if (ts.size() == 2) arg_is(1, is_str(ts[1]), "a str");
      }
      return T.str_type();
    case Builtin::Split:
      if (arity(2, 2)) {
        arg_is(0, is_str(ts[0]), "a str");
        arg_is(1, is_str(ts[1]), "a str");
      }
      return T.list_of(T.str_type());
    case Builtin::Trim:
      if (arity(1, 1)) arg_is(0, is_str(ts[0]), "a str");
      return T.str_type();
    case Builtin::Contains:
      if (arity(2, 2)) {
        if (ts[0]->kind == TypeKind::List) {
          arg_is(1, assignable(ts[1], ts[0]->elem) || assignable(ts[0]->elem, ts[1]), ("a " + ts[0]->elem->to_string()).c_str());
        } else if (arg_is(0, is_str(ts[0]), "a str or a list")) {
          arg_is(1, is_str(ts[1]), "a str");
        }
      }
      return T.bool_type();
    case Builtin::Range:
      if (arity(1, 2)) {
        for (size_t i = 0; i < ts.size(); ++i) arg_is(i, ts[i]->kind == TypeKind::Int, "an int");
      }
      return T.list_of(T.int_type());
    case Builtin::Print:
      for (size_t i = 0; i < ts.size(); ++i) {
        TypeKind k = ts[i]->kind;
        arg_is(i, ts[i]->is_scalar() || k == TypeKind::List || k == TypeKind::Schema, "a value with a text form");
      }
      return T.void_type();
    case Builtin::Text:
      arity(0, 0);
      return T.str_type();
    case Builtin::None: break;
  }
  return T.error();
}

const Type* Checker::check_user_call(ast::Call& c, ast::FnDecl& fn, Symbol* sym) {
  (void)sym;
  std::vector<ast::Arg*> bound(fn.params.size(), nullptr);
  bool named_seen = false;
  bool misplaced = false;  // a positional after a named argument: do not also report "missing"
  size_t next_positional = 0;
  for (auto& a : c.args) {
    if (a.name.empty()) {
      if (named_seen) {
        error(a.value->span, "a positional argument cannot follow a named one");
        misplaced = true;
        check_expr(*a.value);
        continue;
      }
      if (next_positional >= fn.params.size()) {
        error(a.value->span, "too many arguments: '" + fn.name + "' takes " + std::to_string(fn.params.size()) +
                                 (fn.params.size() == 1 ? " argument" : " arguments"));
        check_expr(*a.value);
        continue;
      }
      bound[next_positional++] = &a;
      continue;
    }
    named_seen = true;
    size_t i = 0;
    while (i < fn.params.size() && fn.params[i].name != a.name) ++i;
    if (i == fn.params.size()) {
      std::vector<std::string> names;
      for (auto& p : fn.params) names.push_back(p.name);
      error(a.name_span, "'" + fn.name + "' has no parameter '" + a.name + "'" + suggestion(a.name, names));
      check_expr(*a.value);
      continue;
    }
    if (bound[i]) {
      error(a.name_span, "argument '" + a.name + "' is given twice");
      check_expr(*a.value);
      continue;
    }
    bound[i] = &a;
  }
  for (size_t i = 0; i < fn.params.size(); ++i) {
    const ast::Param& p = fn.params[i];
    const Type* pt = p.symbol ? p.symbol->type : T.error();
    if (!bound[i]) {
      if (!p.default_value && !misplaced) error(c.span, "missing argument '" + p.name + "' in call to '" + fn.name + "'");
      continue;
    }
    const Type* at = check_expr(*bound[i]->value, pt);
    if (!assignable(at, pt)) {
      error(bound[i]->value->span, "argument '" + p.name + "' of '" + fn.name + "' must be " + pt->to_string() + ", found " +
                                       at->to_string());
    }
  }
  return fn.resolved_return ? fn.resolved_return : T.error();
}

const Type* Checker::check_unary(ast::Unary& u) {
  const Type* t = check_expr(*u.operand);
  if (t->is_error()) return t;
  if (u.op == ast::UnaryOp::Neg) {
    if (t->is_numeric()) return t;
    error(u.span, "'-' needs a number, found " + t->to_string());
    return T.error();
  }
  if (t->kind == TypeKind::Bool) return t;
  error(u.span, "'!' needs a bool, found " + t->to_string());
  return T.error();
}

void Checker::check_enum_literal(const Type* enum_t, ast::Expr& e) {
  if (enum_t->kind != TypeKind::Enum || e.kind != ast::ExprKind::String) return;
  auto& s = e.as<ast::StringLit>();
  if (!s.is_constant()) return;
  std::string v = s.constant_text();
  const auto& vals = enum_t->enum_values;
  if (std::find(vals.begin(), vals.end(), v) != vals.end()) return;
  std::string list;
  for (auto& x : vals) list += (list.empty() ? "" : ", ") + x;
  error(e.span, "\"" + v + "\" is not a value of " + enum_t->to_string() + " (" + list + "); this comparison is always false");
}

const Type* Checker::check_binary(ast::Binary& b) {
  const Type* l = check_expr(*b.lhs);
  const Type* r = check_expr(*b.rhs, b.op == ast::BinaryOp::Match ? nullptr : l);
  if (l->is_error() || r->is_error()) {
    switch (b.op) {
      case ast::BinaryOp::Lt: case ast::BinaryOp::Le: case ast::BinaryOp::Gt: case ast::BinaryOp::Ge:
      case ast::BinaryOp::Eq: case ast::BinaryOp::Ne: case ast::BinaryOp::Match: case ast::BinaryOp::And:
      case ast::BinaryOp::Or:
        return T.bool_type();
      default:
        return T.error();
    }
  }
  std::string op = ast::to_string(b.op);
  auto mismatch = [&]() -> const Type* {
    error(b.op_span, "cannot apply '" + op + "' to " + l->to_string() + " and " + r->to_string());
    return T.error();
  };
  auto is_text = [](const Type* t) { return t->kind == TypeKind::Str || t->kind == TypeKind::Enum; };
  switch (b.op) {
    case ast::BinaryOp::Add:
      if (l->kind == TypeKind::Int && r->kind == TypeKind::Int) return T.int_type();
      if (l->is_numeric() && r->is_numeric()) return T.float_type();
      if ((is_text(l) && r->is_scalar()) || (l->is_scalar() && is_text(r))) return T.str_type();
      if (l->kind == TypeKind::List && r->kind == TypeKind::List) {
        if (assignable(r, l)) return l;
        if (assignable(l, r)) return r;
      }
      return mismatch();
    case ast::BinaryOp::Sub: case ast::BinaryOp::Mul: case ast::BinaryOp::Div: case ast::BinaryOp::Mod:
      if (l->kind == TypeKind::Int && r->kind == TypeKind::Int) return T.int_type();
      if (l->is_numeric() && r->is_numeric() && b.op != ast::BinaryOp::Mod) return T.float_type();
      return mismatch();
    case ast::BinaryOp::Lt: case ast::BinaryOp::Le: case ast::BinaryOp::Gt: case ast::BinaryOp::Ge:
      if ((l->is_numeric() && r->is_numeric()) || (is_text(l) && is_text(r))) return T.bool_type();
      mismatch();
      return T.bool_type();
    case ast::BinaryOp::Eq: case ast::BinaryOp::Ne:
      if (assignable(l, r) || assignable(r, l) || (l->is_numeric() && r->is_numeric()) || (is_text(l) && is_text(r))) {
        if (l->kind == TypeKind::Enum) check_enum_literal(l, *b.rhs);
        if (r->kind == TypeKind::Enum) check_enum_literal(r, *b.lhs);
        return T.bool_type();
      }
      mismatch();
      return T.bool_type();
    case ast::BinaryOp::Match:
      if (!is_text(l)) error(b.lhs->span, "the left side of '~' must be a str, found " + l->to_string());
      if (r->kind != TypeKind::Regex) error(b.rhs->span, "the right side of '~' must be a /regex/, found " + r->to_string());
      return T.bool_type();
    case ast::BinaryOp::And: case ast::BinaryOp::Or:
      if (l->kind != TypeKind::Bool) error(b.lhs->span, "'" + op + "' needs bools, found " + l->to_string());
      if (r->kind != TypeKind::Bool) error(b.rhs->span, "'" + op + "' needs bools, found " + r->to_string());
      return T.bool_type();
  }
  return T.error();
}

void Checker::check_option_value(const OptionSpec& spec, ast::Arg& a, const char* what) {
  const Type* t = check_expr(*a.value, spec.type == OptionType::IntList ? T.list_of(T.int_type()) : nullptr);
  if (t->is_error()) return;
  bool ok = false;
  switch (spec.type) {
    case OptionType::Int: ok = t->kind == TypeKind::Int; break;
    case OptionType::Float: ok = t->is_numeric(); break;
    case OptionType::Bool: ok = t->kind == TypeKind::Bool; break;
    case OptionType::StrOrStrList:
      ok = t->kind == TypeKind::Str || t->kind == TypeKind::Enum ||
           (t->kind == TypeKind::List && (t->elem->kind == TypeKind::Str || t->elem->kind == TypeKind::Enum));
      break;
    case OptionType::IntList: ok = t->kind == TypeKind::List && t->elem->kind == TypeKind::Int; break;
    case OptionType::Regex: ok = t->kind == TypeKind::Regex || t->kind == TypeKind::Str; break;
    case OptionType::JsonSchema: ok = t->kind == TypeKind::Str; break;
    case OptionType::SelectMethod: ok = t->kind == TypeKind::Str; break;
  }
  if (!ok) {
    error(a.value->span, std::string(what) + " option '" + spec.name + "' must be " + describe(spec.type) + ", found " + t->to_string());
    return;
  }
  // Constant values are checked now rather than failing at run time.
  ast::Expr* v = a.value.get();
  double num = 0;
  bool is_num = false;
  bool negate = false;
  if (v->kind == ast::ExprKind::Unary && v->as<ast::Unary>().op == ast::UnaryOp::Neg) {
    v = v->as<ast::Unary>().operand.get();
    negate = true;
  }
  if (v->kind == ast::ExprKind::Int) {
    num = static_cast<double>(v->as<ast::IntLit>().value);
    is_num = true;
  } else if (v->kind == ast::ExprKind::Float) {
    num = v->as<ast::FloatLit>().value;
    is_num = true;
  }
  if (negate) num = -num;
  if (is_num && (spec.type == OptionType::Int || spec.type == OptionType::Float) && (num < spec.min || num > spec.max)) {
    auto fmt = [](double x) {
      std::string s = std::to_string(x);
      s.erase(s.find_last_not_of('0') + 1);
      if (!s.empty() && s.back() == '.') s.pop_back();
      return s;
    };
    std::string range = spec.max == std::numeric_limits<double>::infinity() ? ">= " + fmt(spec.min)
                                                                            : "between " + fmt(spec.min) + " and " + fmt(spec.max);
    error(a.value->span, std::string("option '") + spec.name + "' must be " + range);
  }
  if (a.value->kind == ast::ExprKind::String && a.value->as<ast::StringLit>().is_constant()) {
    std::string text = a.value->as<ast::StringLit>().constant_text();
    if (spec.type == OptionType::Regex) {
      bool plain = !a.value->as<ast::StringLit>().raw;
      validate_regex(text, a.value->span, plain ? UINT32_MAX : 2);
    } else if (spec.type == OptionType::JsonSchema) {
      try {
        auto j = nlohmann::json::parse(text);
        if (!j.is_object() && !j.is_boolean()) error(a.value->span, "a JSON schema must be a JSON object");
      } catch (const nlohmann::json::parse_error& e) {
        std::string what_msg = e.what();
        auto pos = what_msg.find("syntax error");
        error(a.value->span, "json option is not valid JSON: " + (pos != std::string::npos ? what_msg.substr(pos) : what_msg));
      }
    } else if (spec.type == OptionType::SelectMethod) {
      if (text != "token_length_normalized" && text != "greedy" && text != "unconditional") {
        error(a.value->span, "unknown select method \"" + text + "\"; use " + describe(OptionType::SelectMethod));
      }
    }
  }
}

void Checker::bind_stream_var(const std::string& name, Span span, const Type* type, Symbol*& out) {
  if (name.empty()) return;
  if (name == "text" || name == "result") {
    error(span, "'" + name + "' is reserved: ." + name + " reads a branch's or task's " +
                    (name == "text" ? "text" : "return value") + "; choose another name");
    return;
  }
  // An existing variable of a compatible type in this function (outside any enclosing fork) is
  // updated; otherwise the gen declares a new variable in the current block.
  Symbol* existing = lookup(name);
  if (existing && (existing->kind == Symbol::Kind::Local || existing->kind == Symbol::Kind::StreamVar)) {
    int idx = scope_index_of(existing);
    if (idx >= 0 && idx >= fork_scope_) {
      if (!assignable(type, existing->type)) {
        Diagnostic& d = error(span, "'" + name + "' is " + a_(existing->type) + ", but this generates " + a_(type));
        note(d, existing->file, existing->span, "'" + name + "' is declared here");
      }
      out = existing;
      return;
    }
  }
  if (existing && (existing->kind == Symbol::Kind::Param || existing->kind == Symbol::Kind::LoopVar) &&
      scope_index_of(existing) >= fork_scope_) {
    error(span, "cannot generate into '" + name + "': it is a " +
                    (existing->kind == Symbol::Kind::Param ? "parameter" : "loop variable") + "; choose another name");
    return;
  }
  out = new_symbol(Symbol::Kind::StreamVar, name, type, span);
  scopes_.back().names[name] = out;
}

const Type* Checker::check_gen(ast::Gen& g) {
  std::set<std::string> seen;
  const ast::Arg* constraint = nullptr;
  for (auto& a : g.options) {
    if (a.name.empty()) {
      error(a.value->span, "gen options are named, as in gen x(max_tokens: 16)");
      check_expr(*a.value);
      continue;
    }
    if (!seen.insert(a.name).second) {
      error(a.name_span, "option '" + a.name + "' is given twice");
      check_expr(*a.value);
      continue;
    }
    const OptionSpec* spec = find_option(gen_options(), a.name);
    if (!spec) {
      std::vector<std::string> names;
      for (auto& o : gen_options()) names.push_back(o.name);
      if (a.name == "choices") {
        error(a.name_span, "gen has no option 'choices'; use select name(\"a\", \"b\") to pick one of several choices");
      } else {
        error(a.name_span, "unknown gen option '" + a.name + "'" + suggestion(a.name, names));
      }
      check_expr(*a.value);
      continue;
    }
    if (spec->type == OptionType::Regex || spec->type == OptionType::JsonSchema) {
      if (constraint) {
        error(a.name_span, "a gen takes one constraint: '" + constraint->name + "' is already given");
      }
      constraint = &a;
    }
    check_option_value(*spec, a, "gen");
  }
  const Type* t = gen_result_type(g);
  if (g.target_type && constraint) {
    error(constraint->name_span, "a typed gen (gen x: " + t->to_string() + ") cannot also take '" + constraint->name + "'");
  }
  bind_stream_var(g.name, g.name_span, t, g.symbol);
  return t;
}

const Type* Checker::check_select(ast::Select& s) {
  std::vector<ast::Arg*> choices;
  std::set<std::string> seen_opts;
  for (auto& a : s.args) {
    if (a.name.empty()) {
      choices.push_back(&a);
      continue;
    }
    if (!seen_opts.insert(a.name).second) {
      error(a.name_span, "option '" + a.name + "' is given twice");
      check_expr(*a.value);
      continue;
    }
    const OptionSpec* spec = find_option(select_options(), a.name);
    if (!spec) {
      error(a.name_span, "unknown select option '" + a.name + "'" + suggestion(a.name, {"method"}) +
                             " (select takes its choices and method:)");
      check_expr(*a.value);
      continue;
    }
    check_option_value(*spec, a, "select");
  }
  if (choices.empty()) {
    error(s.span, "select needs at least one choice, as in select answer(\"yes\", \"no\")");
  } else if (choices.size() == 1) {
    const Type* t = check_expr(*choices[0]->value);
    if (t->kind == TypeKind::List) {
      if (!t->elem->is_error() && t->elem->kind != TypeKind::Str && t->elem->kind != TypeKind::Enum)
        error(choices[0]->value->span, "select choices must be strings, found " + t->to_string());
      if (choices[0]->value->kind == ast::ExprKind::List && choices[0]->value->as<ast::ListLit>().items.empty())
        error(choices[0]->value->span, "select needs at least one choice");
    } else if (!t->is_error() && t->kind != TypeKind::Str && t->kind != TypeKind::Enum) {
      error(choices[0]->value->span, "select choices must be strings, found " + t->to_string());
    } else if (!t->is_error()) {
      warning(s.span, "select with a single choice always picks it");
    }
  } else {
    std::map<std::string, Span> seen;
    for (ast::Arg* a : choices) {
      const Type* t = check_expr(*a->value);
      if (!t->is_error() && t->kind != TypeKind::Str && t->kind != TypeKind::Enum) {
        error(a->value->span, t->kind == TypeKind::List ? "pass either one list of choices or several strings, not both"
                                                        : "select choices must be strings, found " + t->to_string());
      }
      if (a->value->kind == ast::ExprKind::String && a->value->as<ast::StringLit>().is_constant()) {
        std::string v = a->value->as<ast::StringLit>().constant_text();
        if (v.empty()) error(a->value->span, "a select choice cannot be empty");
        auto [it, fresh] = seen.insert({v, a->value->span});
        if (!fresh) warning(a->value->span, "choice \"" + v + "\" is listed twice");
      }
    }
  }
  const Type* t = select_result_type(s);
  bind_stream_var(s.name, s.name_span, t, s.symbol);
  return t;
}

const Type* Checker::check_fork(ast::Fork& f) {
  const Type* elem = nullptr;
  if (f.count) {
    const Type* ct = check_expr(*f.count);
    if (!ct->is_error() && ct->kind != TypeKind::Int) {
      error(f.count->span, ct->kind == TypeKind::List
                               ? "fork over a list needs a variable: fork item in " + std::string("list { ... }")
                               : "the number of branches must be an int, found " + ct->to_string());
    }
    if (f.count->kind == ast::ExprKind::Int && f.count->as<ast::IntLit>().value < 1) {
      error(f.count->span, "a fork needs at least one branch");
    }
  } else {
    const Type* lt = check_expr(*f.list);
    if (lt->kind == TypeKind::List) {
      elem = lt->elem;
    } else if (!lt->is_error()) {
      error(f.list->span, "fork ... in needs a list, found " + lt->to_string());
    }
  }
  StreamVars vars;
  collect_stream_vars(*f.body, vars);
  const Type* branch = T.branch(std::move(vars));

  int saved_fork = fork_scope_;
  int saved_loops = loop_depth_;
  push_scope(Scope::Fork);
  fork_scope_ = static_cast<int>(scopes_.size()) - 1;
  loop_depth_ = 0;
  if (!f.var.empty()) {
    f.var_symbol = new_symbol(Symbol::Kind::LoopVar, f.var, elem ? elem : T.error(), f.var_span);
    declare_local(f.var_symbol);
  }
  check_stmts(*f.body);
  pop_scope();
  fork_scope_ = saved_fork;
  loop_depth_ = saved_loops;
  return T.list_of(branch);
}

const Type* Checker::check_spawn(ast::Spawn& s) {
  if (s.call->kind != ast::ExprKind::Call) {
    check_expr(*s.call);
    error(s.call->span, "spawn needs a function call, as in spawn f(x)");
    return T.error();
  }
  auto& c = s.call->as<ast::Call>();
  const Type* rt = check_expr(c);
  if (!c.target) return T.error();
  if (c.target->kind != Symbol::Kind::Function) {
    error(c.callee->span, "spawn runs a function of this program; '" + c.target->name + "' is a built-in");
    return T.error();
  }
  return T.task(c.target->fn, rt->is_error() ? T.void_type() : rt, fn_stream_vars(*c.target->fn));
}

// ================================================================== modules

class ModuleLoader {
 public:
  ModuleLoader(Program& prog, DiagnosticEngine& diags) : prog_(prog), diags_(diags) {
    for (auto& b : builtin_specs()) {
      prog_.symbols.push_back({});
      Symbol* s = &prog_.symbols.back();
      s->kind = Symbol::Kind::Builtin;
      s->name = b.name;
      s->builtin = b.id;
      builtins_.push_back(s);
    }
  }

  ModuleInfo* check(ast::Module& m, const std::string& name) {
    prog_.modules.push_back({});
    ModuleInfo* info = &prog_.modules.back();
    info->name = name;
    info->ast = &m;
    if (name == "main") prog_.main_module = &m;
    // Imports first: they add module names to this module's scope.
    std::set<std::string> imported;
    for (auto& d : m.decls) {
      if (d->kind != ast::DeclKind::Import) continue;
      auto& imp = d->as<ast::Import>();
      std::string dotted = imp.dotted();
      if (!imported.insert(dotted).second) {
        diags_.warning(m.file, imp.span, "'" + dotted + "' is imported twice");
        continue;
      }
      const EmbeddedModule* em = find_std_module(dotted);
      if (!em) {
        std::string msg = "unknown module '" + dotted + "'";
        if (imp.path[0] != "std") {
          msg += "; only the standard library can be imported (" + std_module_list() + ")";
        } else {
          std::vector<std::string> names;
          for (auto& e : embedded_stdlib()) names.push_back(e.name);
          std::string s = closest_name(dotted, names);
          msg += s.empty() ? " (available: " + std_module_list() + ")" : "; did you mean '" + s + "'?";
        }
        diags_.error(m.file, imp.span, msg);
        continue;
      }
      ModuleInfo* dep = load_std(*em);
      if (!dep) continue;
      if (Symbol* prev = info->find(imp.name)) {
        diags_.error(m.file, imp.name_span, "'" + imp.name + "' is already defined").notes.push_back({prev->file, prev->span, "previous definition is here"});
        continue;
      }
      prog_.symbols.push_back({});
      Symbol* s = &prog_.symbols.back();
      s->kind = Symbol::Kind::Module;
      s->name = imp.name;
      s->file = m.file;
      s->span = imp.name_span;
      s->module = dep;
      info->names.push_back({imp.name, s});
    }
    Checker c(prog_, diags_, m, *info, builtins_);
    if (name == "main" && outer_vars_) c.set_outer_vars(outer_fn_, outer_vars_);
    c.declare_top_level();
    c.check_signatures();
    c.check_bodies();
    return info;
  }

 private:
  ModuleInfo* load_std(const EmbeddedModule& em) {
    auto it = loaded_.find(em.name);
    if (it != loaded_.end()) return it->second;
    loaded_[em.name] = nullptr;  // a cycle resolves to "not available" instead of recursing
    prog_.std_sources.push_back(std::make_shared<SourceFile>(em.path, em.source));
    diags_.retain(prog_.std_sources.back());
    const SourceFile* file = prog_.std_sources.back().get();
    std::unique_ptr<ast::Module> mod = parse_module(*file, diags_);
    if (!mod) return nullptr;
    mod->name = em.name;
    prog_.std_modules.push_back(std::move(mod));
    ModuleInfo* info = check(*prog_.std_modules.back(), em.name);
    loaded_[em.name] = info;
    return info;
  }

  Program& prog_;
  DiagnosticEngine& diags_;
  std::vector<Symbol*> builtins_;
  std::map<std::string, ModuleInfo*> loaded_;

 public:
  std::string outer_fn_;
  std::vector<OuterVar>* outer_vars_ = nullptr;
};

}  // namespace

bool check_module(ast::Module& module, Program& program, DiagnosticEngine& diags, const SemaOptions& options) {
  int before = diags.error_count();
  module.name = "main";
  program.main_module = &module;
  ModuleLoader loader(program, diags);
  loader.outer_fn_ = options.outer_fn;
  loader.outer_vars_ = options.outer_vars;
  loader.check(module, "main");
  if (options.require_main && !program.main_fn) {
    diags.error(module.file, {0, 0}, "no 'main' function: sglc run starts a program at fn main() { ... }");
  }
  return diags.error_count() == before;
}

}  // namespace sgl
