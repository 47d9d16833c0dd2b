// The compiler side of a REPL session: keeps the session's declarations (as checked source) and
// its variables (name, type, value bits), and turns one statement input into an SGL IR module
// whose main reads and writes the variables through an environment (docs/architecture.md, REPL).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "source.h"
#include "types.h"

namespace sgl::repl {

// A session variable's type, independent of any one compilation: every input is checked as a new
// Program, so the variable's sema type is rebuilt from this (schemas, enums and functions by name).
struct TypeSpec {
  TypeKind kind = TypeKind::Error;
  std::shared_ptr<TypeSpec> elem;    // List: the item type; Task: the result type
  std::string name;                  // Schema, Enum (empty: inline), Task (the spawned function)
  std::vector<std::string> values;   // Enum
  std::map<std::string, std::shared_ptr<TypeSpec>> vars;  // Branch, Task: their stream variables
};

struct SessionVar {
  std::string name;
  TypeSpec type;
  std::string type_text;  // as sema spells it ("list[str]"), for :vars
  std::string desc;       // the rt.h type descriptor of its bits
  uint64_t bits = 0;      // lives in the session's arena (or is a JIT module's constant)
};

// One statement input, compiled. Its module's main takes one argument, a pointer to `env`: an
// array of bits laid out as `vars` (the session's variables, then the ones this input declares).
// main loads what it reads from env at entry and stores every variable back before it returns.
struct StatementPlan {
  std::unique_ptr<ir::Module> module;
  std::vector<SessionVar> vars;  // the env layout; bits of the new ones are filled in by the run
  size_t old_count = 0;          // vars[0..old_count) are the session's variables before this input
};

enum class InputKind { Declarations, Statements };

// Declaration inputs start with `fn`, `schema`, `enum` or `import` (after comments); everything
// else is statements.
InputKind classify(const std::string& text);

class SessionCompiler {
 public:
  // Checks `text` (declarations) together with the session's, and keeps them on success; a
  // declaration of a name the session already has replaces the old one. Diagnostics are rendered
  // to `err` with positions in `path` (an "<input N>" name or a :load file). Returns false on errors.
  bool add_declarations(const std::string& path, const std::string& text, std::ostream& err, bool color);

  // Compiles statements against the session's declarations and variables. Null (diagnostics
  // rendered to `err`) on errors; nothing in the session changes either way.
  std::unique_ptr<StatementPlan> compile_statements(const std::string& path, const std::string& text,
                                                    std::ostream& err, bool color);

  // After a successful run of `plan` whose env ended as `env`: the session's variables become the
  // plan's (later bindings of a name replace earlier ones; a new variable that never got a value
  // is dropped).
  void commit(StatementPlan& plan, const std::vector<uint64_t>& env);

  const std::vector<SessionVar>& vars() const { return vars_; }
  void reset();

 private:
  struct Chunk {
    std::shared_ptr<SourceFile> file;    // the input as typed (diagnostics point here)
    std::string text;                    // the same text with replaced declarations blanked out
    std::vector<std::string> names;      // the names it declares (still in effect)
  };
  std::vector<Chunk> chunks_;
  std::vector<SessionVar> vars_;
};

// The statement function's name inside the combined source (not a name users will pick).
inline constexpr const char* kStatementFn = "__repl_input";

}  // namespace sgl::repl
