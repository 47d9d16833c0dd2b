// SGL IR: the small typed IR between the checked AST and LLVM. Functions hold blocks of
// instructions in SSA form (each instruction defines at most one value); variables live in
// slots (load/store, which LLVM's mem2reg turns into registers). Types are the runtime's type
// descriptors (rt.h), so what the runtime must know about a value is spelled the same everywhere.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sgl::ir {

// A value's type is its rt.h descriptor ("s", "i", "Ls", "o", ...), plus a few internal ones the
// runtime never sees: "" (no value), "F" (a fork in progress), "N" (a captured environment).
// Enums ("e") and regexes ("r", kept as their pattern text) are strings in memory.
struct Type {
  std::string desc;

  static Type void_() { return {""}; }
  static Type str() { return {"s"}; }
  static Type enum_() { return {"e"}; }
  static Type regex() { return {"r"}; }
  static Type int_() { return {"i"}; }
  static Type float_() { return {"f"}; }
  static Type bool_() { return {"b"}; }
  static Type obj() { return {"o"}; }
  static Type branch() { return {"B"}; }
  static Type task() { return {"T"}; }
  static Type fork() { return {"F"}; }
  static Type env() { return {"N"}; }
  static Type list_of(const Type& elem) { return {"L" + elem.desc}; }

  bool is_void() const { return desc.empty(); }
  bool operator==(const Type& o) const { return desc == o.desc; }
  bool operator!=(const Type& o) const { return desc != o.desc; }
  Type elem() const { return {desc.size() > 1 && desc[0] == 'L' ? desc.substr(1) : ""}; }
  std::string to_string() const;  // "str", "list[int]", "branch", ...
};

// What a type is in memory: the verifier and codegen only care about this.
enum class Kind { Void, Bool, Int, Float, Str, List, Obj, Branch, Task, Fork, Env };
Kind kind_of(const Type& t);
const char* to_string(Kind k);

// JSON-shaped types: the targets of typed gen and the fields of schemas, before the constraint
// pass turns them into a regex or a JSON schema.
struct DataType {
  enum class Kind { Str, Int, Float, Bool, Enum, List, Schema };
  Kind kind = Kind::Str;
  std::vector<std::string> values;  // Enum
  std::shared_ptr<DataType> elem;   // List
  std::string schema;               // Schema: the name of a Module::schemas entry
  std::string to_string() const;
};

struct SchemaField {
  std::string name;
  bool optional = false;
  DataType type;
};
struct SchemaDecl {
  std::string name;
  std::vector<SchemaField> fields;
};

// A runtime-error point: where a failing operation reports its error.
struct Loc {
  int32_t file = -1;  // index into Module::files; -1: no location
  int32_t line = 0;
  int32_t col = 0;
  bool valid() const { return file >= 0; }
};

enum class Op : uint8_t {
  // constants
  ConstStr, ConstInt, ConstFloat, ConstBool,
  // variables (slots)
  Load, Store,
  // numbers and bools
  IAdd, ISub, IMul, IDiv, IMod, INeg, FAdd, FSub, FMul, FDiv, FNeg, IToF, BoolToInt, Not, ICmp, FCmp,
  // text and values
  Concat, ToStr, StrLen, StrEq, StrCmp, ValueEq, RegexMatch, Convert,
  // lists
  ListNew, ListPush, ListLen, ListGet, ListConcat,
  // built-in functions
  IntFromStr, FloatFromStr, IntFromFloat, Join, Split, Trim, StrContains, ListContains, Range, Print, Text,
  // the stream
  Append, RoleBegin, RoleEnd, Gen, Select,
  // fork (Fork before the fork pass; ForkBegin/ForkStart/ForkJoin after it), environments, spawn
  Fork, ForkBegin, ForkStart, ForkJoin, EnvNew, EnvStore, EnvLoad, BranchVar, BranchText, BranchesVar,
  Spawn, TaskResult, TaskText, TaskVar, ObjGet,
  // calls and control flow
  Call, Br, CondBr, Ret, Unreachable,
};
const char* to_string(Op op);
bool is_terminator(Op op);
// Operations that can fail at run time: codegen checks their status and returns it on failure.
bool can_fail(Op op);

// The sampling options a gen takes, with the kind of value each needs. `stop` and
// `stop_token_ids` also take a list (one stop per item).
struct GenOption {
  const char* name;
  Kind kind;
  bool list_ok;
};
const GenOption* find_gen_option(const std::string& name);

// Comparison predicates (ICmp, FCmp), kept in Inst::imm.
enum class Cmp : int64_t { Eq, Ne, Lt, Le, Gt, Ge };
const char* to_string(Cmp c);

// The constraint of a gen. Before the constraint pass it may be Typed (gen x: T); after it only
// None, Regex or Json remain, with the spec as the gen's last operand.
enum class ConstraintKind : uint8_t { None, Regex, Json, Typed };

struct Inst {
  Op op;
  int result = -1;            // the value defined, or -1
  Type type;                  // the result's type (void when none)
  std::vector<int> args;      // operand values
  std::vector<int> targets;   // Br: {dest}; CondBr: {then, else}
  std::string str;            // ConstStr text; gen/select/var/field name; callee function name
  int64_t imm = 0;            // ConstInt/ConstBool value; slot; role; Cmp; env index/size; select method
  double fimm = 0;            // ConstFloat value
  Loc loc;                    // the runtime-error point of an operation that can fail
  // Gen only: option names for the first keys.size() operands; the constraint.
  std::vector<std::string> keys;
  ConstraintKind constraint = ConstraintKind::None;
  DataType target;            // Typed: the type to generate
};

struct Block {
  std::string name;
  std::vector<Inst> insts;
};

struct Slot {
  std::string name;
  Type type;
};

// Branch bodies (outlined from fork) and spawn wrappers are called by the runtime with fixed C
// signatures (rt.h sgl_branch_fn / sgl_spawn_fn); Prefix is the hoisted constant prefix of main.
enum class FnKind : uint8_t { Normal, Branch, Spawn, Prefix };
const char* to_string(FnKind k);

struct Param {
  std::string name;
  Type type;
};

struct Function {
  std::string name;
  FnKind kind = FnKind::Normal;
  std::vector<Param> params;      // values 0..params.size()-1
  Type ret;                       // Normal and Spawn: the return type
  std::vector<Slot> slots;
  std::vector<Block> blocks;      // blocks[0] is the entry
  std::vector<Type> value_types;  // indexed by value id (params first)

  int new_value(const Type& t) {
    value_types.push_back(t);
    return static_cast<int>(value_types.size()) - 1;
  }
  // Appends a block named "<base>.<index>" ("entry" for the first), unique within the function.
  int add_block(const std::string& base);
};

// One parameter of main, as the module descriptor (sgl_param) spells it.
struct MainParam {
  std::string name;
  Type type;
  bool has_default = false;
  std::string default_text;  // as --arg would spell it
};

struct Module {
  std::string source_file;          // the user's file
  std::vector<std::string> files;   // Loc::file indexes this (files[0] is the user's file)
  std::vector<SchemaDecl> schemas;
  std::vector<std::unique_ptr<Function>> functions;
  std::string main;                 // the name of main's function
  std::vector<MainParam> main_params;
  std::string prefix;               // the hoisted prefix function, or "" (set by hoist_prefix)

  Function* find(const std::string& name) const;
  const SchemaDecl* find_schema(const std::string& name) const;
};

// Renumbers every function's values densely in order of definition (params first, then blocks
// in order), so that printed IR reads top to bottom after passes inserted instructions.
void renumber_values(Module& m);

}  // namespace sgl::ir
