// Semantic types of .sgl values, interned by a TypeContext so that equal types are the same
// pointer. Sema assigns one to every expression.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

namespace sgl {

namespace ast {
struct SchemaDecl;
struct FnDecl;
}  // namespace ast

enum class TypeKind {
  Error,   // an expression that already failed to check: accepted everywhere, never reported again
  Void,    // no value (a call to a function without a return type)
  Bool,
  Int,
  Float,
  Str,
  Regex,   // a /regex/ literal
  List,    // list[T]
  Schema,  // a `schema` declaration (values are JSON objects)
  Enum,    // an `enum` declaration or an inline enum("a", "b"): a str restricted to its values
  Branch,  // one branch of a fork: its stream variables and its text
  Task,    // the handle returned by `spawn f(...)`
};

struct Type;

// The variables a fork branch or a spawned function defines (gen/select names), with their types.
struct StreamVars {
  std::map<std::string, const Type*> vars;
};

struct Type {
  TypeKind kind = TypeKind::Error;
  const Type* elem = nullptr;                   // List
  const ast::SchemaDecl* schema = nullptr;      // Schema
  std::string enum_name;                        // Enum: declared name, empty when inline
  std::vector<std::string> enum_values;         // Enum
  const StreamVars* stream_vars = nullptr;      // Branch, Task
  const ast::FnDecl* task_fn = nullptr;         // Task: the spawned function
  const Type* task_result = nullptr;            // Task: its return type

  std::string to_string() const;
  bool is_numeric() const { return kind == TypeKind::Int || kind == TypeKind::Float; }
  bool is_error() const { return kind == TypeKind::Error; }
  // str, int, float, bool and enums: values that can be appended to a stream or interpolated.
  bool is_scalar() const;
};

class TypeContext {
 public:
  TypeContext();
  const Type* error() const { return error_; }
  const Type* void_type() const { return void_; }
  const Type* bool_type() const { return bool_; }
  const Type* int_type() const { return int_; }
  const Type* float_type() const { return float_; }
  const Type* str_type() const { return str_; }
  const Type* regex_type() const { return regex_; }
  const Type* list_of(const Type* elem);
  const Type* schema(const ast::SchemaDecl* decl);
  const Type* enum_type(const std::string& name, const std::vector<std::string>& values);
  // Each fork and each spawn gets its own type; `vars` must outlive the context (it is owned here).
  const Type* branch(StreamVars vars);
  const Type* task(const ast::FnDecl* fn, const Type* result, const StreamVars* vars);

 private:
  const Type* make(Type t);
  std::deque<Type> types_;
  std::deque<StreamVars> vars_;
  std::map<const Type*, const Type*> lists_;
  std::map<const ast::SchemaDecl*, const Type*> schemas_;
  std::map<std::string, const Type*> enums_;
  const Type *error_, *void_, *bool_, *int_, *float_, *str_, *regex_;
};

// Can a value of type `from` be used where `to` is expected? (int -> float, enum -> str, [] -> list)
bool assignable(const Type* from, const Type* to);

}  // namespace sgl
