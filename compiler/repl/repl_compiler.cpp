// SessionCompiler: each input is checked as one combined source (the session's declaration inputs,
// then the statement input wrapped in a function), with diagnostics and runtime-error locations
// mapped back to the input they came from; statement inputs become an IR module whose main moves
// the session's variables in and out of an environment.
#include "repl/repl_compiler.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <ostream>
#include <set>

#include "diagnostics.h"
#include "frontend.h"
#include "internal_error.h"
#include "ir/ir_verifier.h"
#include "parse.h"
#include "pipeline.h"
#include "sema.h"

namespace sgl::repl {

namespace {

bool is_ident(char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; }

// ------------------------------------------------------------------ the combined source

// One piece of the combined text and where it came from. A `fixed` piece is synthetic (the
// wrapper around statements): every offset in it maps to `base` in `file`.
struct Region {
  uint32_t begin, end;
  const SourceFile* file;
  uint32_t base;
  bool fixed;
};

struct Combined {
  std::string text;
  std::vector<Region> regions;

  void add(const SourceFile* f, const std::string& t) {
    auto b = static_cast<uint32_t>(text.size());
    text += t;
    regions.push_back({b, static_cast<uint32_t>(text.size()), f, 0, false});
    text += '\n';
  }
  void synthetic(const std::string& t, const SourceFile* f, uint32_t at) {
    auto b = static_cast<uint32_t>(text.size());
    text += t;
    regions.push_back({b, static_cast<uint32_t>(text.size()), f, at, true});
  }
  const Region* region_of(uint32_t off) const {
    const Region* best = regions.empty() ? nullptr : &regions.front();
    for (const Region& r : regions)
      if (r.begin <= off) best = &r;  // the separator newline after a piece belongs to it
    return best;
  }
  Span map(const Region& r, Span s) const {
    if (r.fixed) return {r.base, r.base};
    auto size = static_cast<uint32_t>(r.file->text().size());
    uint32_t b = std::min(s.begin - r.begin + r.base, size);
    uint32_t e = std::min(std::max(s.end, s.begin) - r.begin + r.base, size);
    return {b, e};
  }
};

// Diagnostics of the combined file, rendered against the inputs they point into. Errors are
// always shown; warnings only when they are about `current` (older inputs warned when typed).
void render_mapped(const DiagnosticEngine& diags, const SourceFile* combined, const Combined& c,
                   const SourceFile* current, std::ostream& err, bool color) {
  for (const Diagnostic& d : diags.diagnostics()) {
    Diagnostic out = d;
    if (d.file == combined) {
      const Region* r = c.region_of(d.span.begin);
      if (!r) continue;
      out.file = r->file;
      out.span = c.map(*r, d.span);
    }
    if (out.severity == Severity::Warning && out.file != current) continue;
    for (Note& n : out.notes) {
      if (n.file != combined) continue;
      const Region* r = c.region_of(n.span.begin);
      n.file = r ? r->file : nullptr;
      if (r) n.span = c.map(*r, n.span);
    }
    render_diagnostic(err, out, color);
  }
}

// Runtime-error locations of the combined file, made relative to the inputs (pieces start at the
// start of a line, so only the line number and the file change).
void map_locations(ir::Module& m, const SourceFile& combined, const Combined& c) {
  int combined_id = -1;
  for (size_t i = 0; i < m.files.size(); ++i)
    if (m.files[i] == combined.path()) combined_id = static_cast<int>(i);
  if (combined_id < 0) return;
  std::map<std::string, int> ids;
  auto id_of = [&](const std::string& path) {
    auto it = ids.find(path);
    if (it != ids.end()) return it->second;
    m.files.push_back(path);
    return ids[path] = static_cast<int>(m.files.size()) - 1;
  };
  for (auto& f : m.functions)
    for (ir::Block& b : f->blocks)
      for (ir::Inst& in : b.insts) {
        if (in.loc.file != combined_id || in.loc.line < 1) continue;
        uint32_t off = combined.line_start(static_cast<uint32_t>(in.loc.line));
        const Region* r = c.region_of(off);
        if (!r) continue;
        Span s = c.map(*r, {off, off});
        LineCol lc = r->file->line_col(s.begin);
        in.loc.file = id_of(r->file->path());
        in.loc.line = static_cast<int32_t>(lc.line);
        if (r->fixed) in.loc.col = static_cast<int32_t>(lc.col);
      }
  m.source_file = "<repl>";
}

// ------------------------------------------------------------------ session variable types

TypeSpec spec_of(const Type* t) {
  TypeSpec s;
  s.kind = t->kind;
  switch (t->kind) {
    case TypeKind::List: s.elem = std::make_shared<TypeSpec>(spec_of(t->elem)); break;
    case TypeKind::Schema: s.name = t->schema ? t->schema->name : ""; break;
    case TypeKind::Enum:
      s.name = t->enum_name;
      s.values = t->enum_values;
      break;
    case TypeKind::Task:
      s.name = t->task_fn ? t->task_fn->name : "";
      if (t->task_result) s.elem = std::make_shared<TypeSpec>(spec_of(t->task_result));
      [[fallthrough]];
    case TypeKind::Branch:
      if (t->stream_vars)
        for (const auto& [n, vt] : t->stream_vars->vars) s.vars[n] = std::make_shared<TypeSpec>(spec_of(vt));
      break;
    default: break;
  }
  return s;
}

// The sema type of `s` in a new Program; null when it cannot be made (a schema that is gone).
struct TypeBuilder {
  TypeContext& T;
  const ast::Module& user;
  std::deque<ast::FnDecl>& stubs;  // stand-ins for spawned functions (a task type names its function)

  const Type* build(const TypeSpec& s) {
    switch (s.kind) {
      case TypeKind::Bool: return T.bool_type();
      case TypeKind::Int: return T.int_type();
      case TypeKind::Float: return T.float_type();
      case TypeKind::Str: return T.str_type();
      case TypeKind::Regex: return T.regex_type();
      case TypeKind::List: {
        const Type* e = s.elem ? build(*s.elem) : nullptr;
        return e ? T.list_of(e) : nullptr;
      }
      case TypeKind::Schema:
        for (const auto& d : user.decls)
          if (d->kind == ast::DeclKind::Schema && d->name == s.name) return T.schema(&d->as<ast::SchemaDecl>());
        return nullptr;
      case TypeKind::Enum: return T.enum_type(s.name, s.values);
      case TypeKind::Branch: {
        StreamVars vars;
        if (!stream_vars(s, vars)) return nullptr;
        return T.branch(std::move(vars));
      }
      case TypeKind::Task: {
        StreamVars vars;
        if (!stream_vars(s, vars)) return nullptr;
        const Type* result = s.elem ? build(*s.elem) : T.void_type();
        if (!result) return nullptr;
        const StreamVars* owned = T.branch(std::move(vars))->stream_vars;  // owned by the context
        stubs.emplace_back(Span{});
        stubs.back().name = s.name;
        return T.task(&stubs.back(), result, owned);
      }
      default: return nullptr;
    }
  }
  bool stream_vars(const TypeSpec& s, StreamVars& out) {
    for (const auto& [n, vt] : s.vars) {
      const Type* t = build(*vt);
      if (!t) return false;
      out.vars[n] = t;
    }
    return true;
  }
};

// ------------------------------------------------------------------ walking the statement body

// Calls `f` for the variables a top-level statement binds in the body's own scope: `let`s, and
// gen/select names outside nested blocks (roles are not scopes, so their bodies count).
struct TopLevelBindings {
  std::function<void(Symbol*)> f;

  void stmt(ast::Stmt& s) {
    switch (s.kind) {
      case ast::StmtKind::Let: {
        auto& l = s.as<ast::Let>();
        expr(*l.value);
        f(l.symbol);
        break;
      }
      case ast::StmtKind::Assign: expr(*s.as<ast::Assign>().value); break;
      case ast::StmtKind::If: {
        auto& i = s.as<ast::If>();
        expr(*i.cond);
        if (i.else_if) stmt(*i.else_if);
        break;
      }
      case ast::StmtKind::For: expr(*s.as<ast::For>().iterable); break;
      case ast::StmtKind::While: expr(*s.as<ast::While>().cond); break;
      case ast::StmtKind::Role:
        for (auto& st : s.as<ast::RoleStmt>().body.stmts) stmt(*st);
        break;
      case ast::StmtKind::Append:
        for (auto& e : s.as<ast::Append>().items) expr(*e);
        break;
      default: break;
    }
  }
  void expr(ast::Expr& e) {
    switch (e.kind) {
      case ast::ExprKind::String:
        for (auto& p : e.as<ast::StringLit>().parts)
          if (p.expr) expr(*p.expr);
        break;
      case ast::ExprKind::List:
        for (auto& i : e.as<ast::ListLit>().items) expr(*i);
        break;
      case ast::ExprKind::Member: expr(*e.as<ast::Member>().object); break;
      case ast::ExprKind::Index:
        expr(*e.as<ast::Index>().object);
        expr(*e.as<ast::Index>().index);
        break;
      case ast::ExprKind::Call:
        for (auto& a : e.as<ast::Call>().args) expr(*a.value);
        break;
      case ast::ExprKind::Unary: expr(*e.as<ast::Unary>().operand); break;
      case ast::ExprKind::Binary:
        expr(*e.as<ast::Binary>().lhs);
        expr(*e.as<ast::Binary>().rhs);
        break;
      case ast::ExprKind::Gen:
        for (auto& a : e.as<ast::Gen>().options) expr(*a.value);
        f(e.as<ast::Gen>().symbol);
        break;
      case ast::ExprKind::Select:
        for (auto& a : e.as<ast::Select>().args) expr(*a.value);
        f(e.as<ast::Select>().symbol);
        break;
      case ast::ExprKind::Fork:
        if (e.as<ast::Fork>().count) expr(*e.as<ast::Fork>().count);
        if (e.as<ast::Fork>().list) expr(*e.as<ast::Fork>().list);
        break;
      case ast::ExprKind::Spawn: expr(*e.as<ast::Spawn>().call); break;
      default: break;
    }
  }
};

// `return` has nothing to return from at the top level of the REPL; reported at each one.
void reject_returns(const ast::Block& b, const SourceFile* file, DiagnosticEngine& diags) {
  for (const auto& s : b.stmts) {
    switch (s->kind) {
      case ast::StmtKind::Return:
        diags.error(file, s->span, "'return' cannot be used at the top level of the REPL (only inside a fn)");
        break;
      case ast::StmtKind::If: {
        const ast::Stmt* cur = s.get();
        while (cur) {
          const auto& i = cur->as<ast::If>();
          reject_returns(i.then_block, file, diags);
          if (i.else_block) reject_returns(*i.else_block, file, diags);
          cur = i.else_if.get();
        }
        break;
      }
      case ast::StmtKind::For: reject_returns(s->as<ast::For>().body, file, diags); break;
      case ast::StmtKind::While: reject_returns(s->as<ast::While>().body, file, diags); break;
      case ast::StmtKind::Role: reject_returns(s->as<ast::RoleStmt>().body, file, diags); break;
      default: break;
    }
  }
}

// ------------------------------------------------------------------ the environment

// Slots of variables that live in the env are named "\x01<index>" while the module is lowered
// (lowering names a variable's slot after its symbol); this finds them, gives them their names
// back, and makes main load them from the env at entry and store them before every return.
void bind_env(ir::Module& m, StatementPlan& plan) {
  auto env_index = [](const std::string& name) { return name.size() > 1 && name[0] == '\x01' ? std::stoi(name.substr(1)) : -1; };
  ir::Function* main = m.find(m.main);
  if (!main || !main->params.empty()) internal_error("repl: the statement function is missing or takes parameters");
  std::vector<std::pair<int, int>> bound;  // (slot, env index) in main
  for (auto& f : m.functions) {
    for (size_t s = 0; s < f->slots.size(); ++s) {
      int idx = env_index(f->slots[s].name);
      if (idx < 0) continue;
      SessionVar& v = plan.vars.at(static_cast<size_t>(idx));
      f->slots[s].name = v.name;
      if (f.get() != main) continue;
      bound.emplace_back(static_cast<int>(s), idx);
      if (v.desc.empty()) v.desc = f->slots[s].type.desc;
    }
  }
  // Main gets the env as its only parameter: value 0, so every other value moves up by one.
  for (ir::Block& b : main->blocks)
    for (ir::Inst& in : b.insts) {
      if (in.result >= 0) ++in.result;
      for (int& a : in.args) ++a;
    }
  main->value_types.insert(main->value_types.begin(), ir::Type::env());
  main->params.push_back({"env", ir::Type::env()});

  auto inst = [](ir::Op op, ir::Type t) {
    ir::Inst in{};
    in.op = op;
    in.type = std::move(t);
    return in;
  };
  std::vector<ir::Inst> entry;
  for (auto [slot, idx] : bound) {
    const ir::Type& t = main->slots[static_cast<size_t>(slot)].type;
    ir::Inst load = inst(ir::Op::EnvLoad, t);
    load.result = main->new_value(t);
    load.args = {0};
    load.imm = idx;
    ir::Inst store = inst(ir::Op::Store, ir::Type::void_());
    store.args = {load.result};
    store.imm = slot;
    entry.push_back(std::move(load));
    entry.push_back(std::move(store));
  }
  auto& first = main->blocks.front().insts;
  first.insert(first.begin(), entry.begin(), entry.end());
  for (ir::Block& b : main->blocks) {
    for (size_t i = 0; i < b.insts.size(); ++i) {
      if (b.insts[i].op != ir::Op::Ret) continue;
      std::vector<ir::Inst> out;
      for (auto [slot, idx] : bound) {
        const ir::Type& t = main->slots[static_cast<size_t>(slot)].type;
        ir::Inst load = inst(ir::Op::Load, t);
        load.result = main->new_value(t);
        load.imm = slot;
        ir::Inst store = inst(ir::Op::EnvStore, ir::Type::void_());
        store.args = {0, load.result};
        store.imm = idx;
        out.push_back(std::move(load));
        out.push_back(std::move(store));
      }
      b.insts.insert(b.insts.begin() + static_cast<ptrdiff_t>(i), out.begin(), out.end());
      i += out.size();
    }
  }
  ir::renumber_values(m);
}

std::string marker(size_t index) { return "\x01" + std::to_string(index); }

bool is_pointer_desc(const std::string& d) { return !(d == "i" || d == "f" || d == "b"); }

// A quick refusal of input the parser must not see (the checks compile_source makes for files).
bool plain_text(const SourceFile& f, DiagnosticEngine& diags) {
  if (f.text().find('\0') != std::string::npos) {
    diags.error(&f, {0, 0}, "the input contains a NUL byte");
    return false;
  }
  size_t bad = find_invalid_utf8(f.text());
  if (bad != std::string::npos) {
    diags.error(&f, {static_cast<uint32_t>(bad), static_cast<uint32_t>(bad)}, "invalid UTF-8 in the input");
    return false;
  }
  return true;
}

}  // namespace

InputKind classify(const std::string& t) {
  size_t i = 0;
  for (;;) {
    while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
    if (t.compare(i, 2, "//") == 0) {
      i = t.find('\n', i);
      if (i == std::string::npos) return InputKind::Statements;
    } else if (t.compare(i, 2, "/*") == 0) {
      i = t.find("*/", i + 2);
      if (i == std::string::npos) return InputKind::Statements;
      i += 2;
    } else {
      break;
    }
  }
  size_t j = i;
  while (j < t.size() && is_ident(t[j])) ++j;
  std::string word = t.substr(i, j - i);
  bool decl = word == "fn" || word == "schema" || word == "enum" || word == "import";
  return decl ? InputKind::Declarations : InputKind::Statements;
}

bool SessionCompiler::add_declarations(const std::string& path, const std::string& text, std::ostream& err, bool color) {
  auto input = std::make_shared<SourceFile>(path, text);
  DiagnosticEngine diags;
  diags.retain(input);
  if (!plain_text(*input, diags)) {
    diags.render(err, color);
    return false;
  }
  std::unique_ptr<ast::Module> alone;
  run_with_large_stack([&] { alone = parse_module(*input, diags); });
  if (!alone || diags.has_errors()) {
    diags.render(err, color);
    return false;
  }
  // The new declarations replace the session's of the same names: those are blanked out of their
  // inputs (spaces, newlines kept, so positions in the rest stay right).
  std::set<std::string> names;
  for (const auto& d : alone->decls) names.insert(d->name);
  std::vector<Chunk> next;
  for (const Chunk& c : chunks_) {
    Chunk copy = c;
    bool touched = false;
    for (const std::string& n : c.names) touched |= names.count(n) > 0;
    if (touched) {
      auto file = std::make_shared<SourceFile>(c.file->path(), copy.text);
      DiagnosticEngine quiet;
      std::unique_ptr<ast::Module> old;
      run_with_large_stack([&] { old = parse_module(*file, quiet); });
      if (old) {
        for (const auto& d : old->decls) {
          if (!names.count(d->name)) continue;
          for (uint32_t k = d->span.begin; k < d->span.end && k < copy.text.size(); ++k)
            if (copy.text[k] != '\n') copy.text[k] = ' ';
        }
      }
      copy.names.erase(std::remove_if(copy.names.begin(), copy.names.end(), [&](const std::string& n) { return names.count(n) > 0; }),
                       copy.names.end());
    }
    if (!copy.names.empty()) next.push_back(std::move(copy));
  }
  next.push_back({input, text, std::vector<std::string>(names.begin(), names.end())});

  Combined c;
  for (const Chunk& ch : next) c.add(ch.file.get(), ch.text);
  auto file = std::make_shared<SourceFile>("<repl>", c.text);
  diags.retain(file);
  run_with_large_stack([&] {
    std::unique_ptr<ast::Module> mod = parse_module(*file, diags);
    if (!mod || diags.has_errors()) return;
    Program prog;
    check_module(*mod, prog, diags, SemaOptions{});
  });
  render_mapped(diags, file.get(), c, input.get(), err, color);
  if (diags.has_errors()) return false;
  chunks_ = std::move(next);
  return true;
}

std::unique_ptr<StatementPlan> SessionCompiler::compile_statements(const std::string& path, const std::string& text,
                                                                   std::ostream& err, bool color) {
  auto input = std::make_shared<SourceFile>(path, text);
  DiagnosticEngine diags;
  diags.retain(input);
  if (!plain_text(*input, diags)) {
    diags.render(err, color);
    return nullptr;
  }
  Combined c;
  for (const Chunk& ch : chunks_) c.add(ch.file.get(), ch.text);
  c.synthetic(std::string("fn ") + kStatementFn + "() {\n", input.get(), 0);
  c.add(input.get(), text);
  c.synthetic("}\n", input.get(), static_cast<uint32_t>(text.size()));
  auto file = std::make_shared<SourceFile>("<repl>", c.text);
  diags.retain(file);

  auto plan = std::make_unique<StatementPlan>();
  std::string internal;
  run_with_large_stack([&] {
    try {
      std::unique_ptr<ast::Module> mod = parse_module(*file, diags);
      if (!mod || diags.has_errors()) return;
      ast::FnDecl* fn = nullptr;
      for (auto& d : mod->decls)
        if (d->kind == ast::DeclKind::Fn && d->name == kStatementFn) fn = &d->as<ast::FnDecl>();
      if (!fn) internal_error("repl: the statement function went missing");
      reject_returns(fn->body, file.get(), diags);
      if (diags.has_errors()) return;

      Program prog;
      std::deque<ast::FnDecl> stubs;
      TypeBuilder tb{prog.types, *mod, stubs};
      std::vector<OuterVar> outer;
      std::vector<size_t> outer_index;  // env index of each outer var
      for (size_t i = 0; i < vars_.size(); ++i) {
        if (const Type* t = tb.build(vars_[i].type)) {
          outer.push_back({vars_[i].name, t, nullptr});
          outer_index.push_back(i);
        }
      }
      SemaOptions so;
      so.outer_fn = kStatementFn;
      so.outer_vars = &outer;
      check_module(*mod, prog, diags, so);
      if (diags.has_errors()) return;
      prog.main_fn = fn;

      plan->vars = vars_;
      plan->old_count = vars_.size();
      std::set<Symbol*> seen;
      for (const OuterVar& v : outer) seen.insert(v.symbol);
      std::vector<Symbol*> fresh;
      TopLevelBindings walk{[&](Symbol* s) {
        if (!s || !seen.insert(s).second) return;
        if (s->kind != Symbol::Kind::Local && s->kind != Symbol::Kind::StreamVar) return;
        fresh.push_back(s);
      }};
      for (auto& s : fn->body.stmts) walk.stmt(*s);
      for (Symbol* s : fresh) {
        SessionVar v;
        v.name = s->name;
        v.type = spec_of(s->type);
        v.type_text = s->type->to_string();
        plan->vars.push_back(std::move(v));
      }
      // Name the env's symbols by their index for bind_env (after sema: messages used the names).
      for (size_t k = 0; k < outer.size(); ++k)
        if (outer[k].symbol) outer[k].symbol->name = marker(outer_index[k]);
      for (size_t k = 0; k < fresh.size(); ++k) fresh[k]->name = marker(plan->old_count + k);

      plan->module = compile_to_ir(prog);
      bind_env(*plan->module, *plan);
      map_locations(*plan->module, *file, c);
      ir::verify_or_throw(*plan->module, ir::Stage::Lowered, "repl-env");
    } catch (const InternalError& e) {
      internal = e.what();
    }
  });
  render_mapped(diags, file.get(), c, input.get(), err, color);
  if (!internal.empty()) {
    err << "sglc repl: internal error: " << internal << "\n";
    return nullptr;
  }
  if (diags.has_errors() || !plan->module) return nullptr;
  return plan;
}

void SessionCompiler::commit(StatementPlan& plan, const std::vector<uint64_t>& env) {
  std::vector<SessionVar> next;
  for (size_t i = 0; i < plan.vars.size() && i < env.size(); ++i) {
    SessionVar v = plan.vars[i];
    v.bits = env[i];
    if (i >= plan.old_count && (v.desc.empty() || (is_pointer_desc(v.desc) && v.bits == 0))) continue;
    next.erase(std::remove_if(next.begin(), next.end(), [&](const SessionVar& o) { return o.name == v.name; }), next.end());
    next.push_back(std::move(v));
  }
  vars_ = std::move(next);
}

void SessionCompiler::reset() {
  chunks_.clear();
  vars_.clear();
}

}  // namespace sgl::repl
