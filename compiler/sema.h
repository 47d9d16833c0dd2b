// Semantic checking: name resolution, scopes, types, call arity, gen/select options, regex
// validation with RE2, fork/spawn variables, return agreement and unreachable code. Annotates the
// AST in place (Expr::type, resolved symbols) and reports every problem it finds.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "ast.h"
#include "diagnostics.h"
#include "types.h"

namespace sgl {

enum class Builtin { None, Len, Str, Int, Float, Join, Split, Trim, Contains, Range, Print, Text };

struct ModuleInfo;

struct Symbol {
  enum class Kind {
    Local,      // let
    Param,      // function parameter
    LoopVar,    // for x in ..., fork x in ...
    StreamVar,  // bound by gen or select
    Function,
    Builtin,
    Schema,
    Enum,
    Module,     // an imported std module
  };
  Kind kind = Kind::Local;
  std::string name;
  const Type* type = nullptr;
  const SourceFile* file = nullptr;
  Span span;  // where it is declared
  ast::FnDecl* fn = nullptr;
  ast::SchemaDecl* schema = nullptr;
  ast::EnumDecl* enum_decl = nullptr;
  Builtin builtin = Builtin::None;
  const ModuleInfo* module = nullptr;
};

// A module's top-level names (the user's file, or one std module).
struct ModuleInfo {
  std::string name;  // "main", "std.chat"
  ast::Module* ast = nullptr;
  std::vector<std::pair<std::string, Symbol*>> names;  // declaration order
  Symbol* find(const std::string& n) const;
};

// Everything sema produces, owned in one place: the modules (user file first, then imported
// std modules), their sources, interned types and symbols.
struct Program {
  TypeContext types;
  std::vector<std::shared_ptr<SourceFile>> std_sources;
  std::vector<std::unique_ptr<ast::Module>> std_modules;
  std::deque<ModuleInfo> modules;
  std::deque<Symbol> symbols;
  ast::Module* main_module = nullptr;
  ast::FnDecl* main_fn = nullptr;  // null when the file has no `main`
};

// A variable that exists before a function's body starts: the REPL's session variables, which
// a statement input reads, assigns and generates into (compiler/repl).
struct OuterVar {
  std::string name;
  const Type* type = nullptr;  // interned in the checked Program's TypeContext
  Symbol* symbol = nullptr;    // set by check_module: the Local the body's uses resolve to
};

struct SemaOptions {
  bool require_main = false;  // `sglc run` needs a main function; `sglc check` does not
  // The REPL: `outer_vars` are declared in a scope around the body of the user module's function
  // named `outer_fn`, so the body sees them and a `let` at its top level may shadow one.
  std::string outer_fn;
  std::vector<OuterVar>* outer_vars = nullptr;
};

// Checks `module` (the user's file). Returns true when no error was reported.
bool check_module(ast::Module& module, Program& program, DiagnosticEngine& diags, const SemaOptions& options = {});

}  // namespace sgl
