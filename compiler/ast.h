// The .sgl abstract syntax tree: what compiler/parse.cpp builds from ANTLR's parse tree and what
// sema checks and annotates (types, resolved names). Every node carries its source span.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "source.h"

namespace sgl {
struct Type;
struct Symbol;
}  // namespace sgl

namespace sgl::ast {

// ------------------------------------------------------------------ types as written
struct TypeRef {
  Span span;
  std::string name;                   // "str", "list", "Person"; empty for an inline enum
  std::unique_ptr<TypeRef> arg;       // the T of list[T]
  std::vector<std::string> enum_values;  // inline enum("a", "b")
  std::vector<Span> enum_value_spans;
  bool inline_enum = false;
};

// ------------------------------------------------------------------ expressions
enum class ExprKind { Int, Float, Bool, String, Regex, List, Name, Member, Index, Call, Unary, Binary, Gen, Select, Fork, Spawn };

enum class UnaryOp { Neg, Not };
enum class BinaryOp { Mul, Div, Mod, Add, Sub, Lt, Le, Gt, Ge, Eq, Ne, Match, And, Or };
const char* to_string(UnaryOp op);
const char* to_string(BinaryOp op);

struct Block;

struct Expr {
  ExprKind kind;
  Span span;
  const Type* type = nullptr;  // set by sema
  Expr(ExprKind k, Span s) : kind(k), span(s) {}
  virtual ~Expr() = default;
  template <class T> T& as() { return static_cast<T&>(*this); }
  template <class T> const T& as() const { return static_cast<const T&>(*this); }
};
using ExprPtr = std::unique_ptr<Expr>;

struct IntLit : Expr {
  int64_t value = 0;
  IntLit(Span s, int64_t v) : Expr(ExprKind::Int, s), value(v) {}
};
struct FloatLit : Expr {
  double value = 0;
  FloatLit(Span s, double v) : Expr(ExprKind::Float, s), value(v) {}
};
struct BoolLit : Expr {
  bool value = false;
  BoolLit(Span s, bool v) : Expr(ExprKind::Bool, s), value(v) {}
};
// A string literal: text pieces and interpolated expressions, in order.
struct StringPart {
  std::string text;  // used when expr is null (escapes already decoded)
  ExprPtr expr;      // an interpolated {expr}
};
struct StringLit : Expr {
  std::vector<StringPart> parts;
  bool raw = false;
  explicit StringLit(Span s) : Expr(ExprKind::String, s) {}
  bool is_constant() const;
  std::string constant_text() const;  // all text parts joined (valid when is_constant())
};
struct RegexLit : Expr {
  std::string pattern;  // between the slashes, as written
  RegexLit(Span s, std::string p) : Expr(ExprKind::Regex, s), pattern(std::move(p)) {}
};
struct ListLit : Expr {
  std::vector<ExprPtr> items;
  explicit ListLit(Span s) : Expr(ExprKind::List, s) {}
};
struct NameRef : Expr {
  std::string name;
  Symbol* symbol = nullptr;  // set by sema
  NameRef(Span s, std::string n) : Expr(ExprKind::Name, s), name(std::move(n)) {}
};
struct Member : Expr {
  ExprPtr object;
  std::string name;
  Span name_span;
  Member(Span s, ExprPtr o, std::string n, Span ns)
      : Expr(ExprKind::Member, s), object(std::move(o)), name(std::move(n)), name_span(ns) {}
};
struct Index : Expr {
  ExprPtr object, index;
  Index(Span s, ExprPtr o, ExprPtr i) : Expr(ExprKind::Index, s), object(std::move(o)), index(std::move(i)) {}
};
struct Arg {
  std::string name;  // empty for a positional argument
  Span name_span;
  ExprPtr value;
};
struct Call : Expr {
  ExprPtr callee;
  std::vector<Arg> args;
  Symbol* target = nullptr;  // set by sema: the function or built-in called
  Call(Span s, ExprPtr c) : Expr(ExprKind::Call, s), callee(std::move(c)) {}
};
struct Unary : Expr {
  UnaryOp op;
  ExprPtr operand;
  Unary(Span s, UnaryOp o, ExprPtr e) : Expr(ExprKind::Unary, s), op(o), operand(std::move(e)) {}
};
struct Binary : Expr {
  BinaryOp op;
  Span op_span;
  ExprPtr lhs, rhs;
  Binary(Span s, BinaryOp o, Span os, ExprPtr l, ExprPtr r)
      : Expr(ExprKind::Binary, s), op(o), op_span(os), lhs(std::move(l)), rhs(std::move(r)) {}
};
// gen name(options): T
struct Gen : Expr {
  std::string name;  // empty: anonymous
  Span name_span;
  std::vector<Arg> options;
  std::unique_ptr<TypeRef> target_type;  // gen x: T
  Symbol* symbol = nullptr;              // set by sema: the variable it binds
  explicit Gen(Span s) : Expr(ExprKind::Gen, s) {}
};
// select name(choices..., method: ...)
struct Select : Expr {
  std::string name;
  Span name_span;
  std::vector<Arg> args;
  Symbol* symbol = nullptr;
  explicit Select(Span s) : Expr(ExprKind::Select, s) {}
};
// fork N { body } or fork x in list { body }
struct Fork : Expr {
  ExprPtr count;  // fork N
  std::string var;  // fork var in list
  Span var_span;
  ExprPtr list;
  std::unique_ptr<Block> body;
  Symbol* var_symbol = nullptr;
  explicit Fork(Span s);
  ~Fork() override;
};
struct Spawn : Expr {
  ExprPtr call;
  Spawn(Span s, ExprPtr c) : Expr(ExprKind::Spawn, s), call(std::move(c)) {}
};

// ------------------------------------------------------------------ statements
enum class StmtKind { Let, Assign, If, For, While, Break, Continue, Return, Role, Append };
enum class Role { System, User, Assistant };
const char* to_string(Role r);

struct Stmt {
  StmtKind kind;
  Span span;
  Stmt(StmtKind k, Span s) : kind(k), span(s) {}
  virtual ~Stmt() = default;
  template <class T> T& as() { return static_cast<T&>(*this); }
  template <class T> const T& as() const { return static_cast<const T&>(*this); }
};
using StmtPtr = std::unique_ptr<Stmt>;

struct Block {
  Span span;
  std::vector<StmtPtr> stmts;
};

struct Let : Stmt {
  std::string name;
  Span name_span;
  std::unique_ptr<TypeRef> declared_type;
  ExprPtr value;
  Symbol* symbol = nullptr;
  explicit Let(Span s) : Stmt(StmtKind::Let, s) {}
};
struct Assign : Stmt {
  std::string name;
  Span name_span;
  bool append = false;  // +=
  ExprPtr value;
  Symbol* symbol = nullptr;
  explicit Assign(Span s) : Stmt(StmtKind::Assign, s) {}
};
struct If : Stmt {
  ExprPtr cond;
  Block then_block;
  std::unique_ptr<Stmt> else_if;        // an If
  std::unique_ptr<Block> else_block;
  explicit If(Span s) : Stmt(StmtKind::If, s) {}
};
struct For : Stmt {
  std::string var;
  Span var_span;
  ExprPtr iterable;
  Block body;
  Symbol* var_symbol = nullptr;
  explicit For(Span s) : Stmt(StmtKind::For, s) {}
};
struct While : Stmt {
  ExprPtr cond;
  Block body;
  explicit While(Span s) : Stmt(StmtKind::While, s) {}
};
struct Break : Stmt {
  explicit Break(Span s) : Stmt(StmtKind::Break, s) {}
};
struct Continue : Stmt {
  explicit Continue(Span s) : Stmt(StmtKind::Continue, s) {}
};
struct Return : Stmt {
  ExprPtr value;
  explicit Return(Span s) : Stmt(StmtKind::Return, s) {}
};
// system/user/assistant: a chat turn whose body appends to the stream.
struct RoleStmt : Stmt {
  Role role;
  Span role_span;
  Block body;          // inline items become one Append statement in the body
  bool inline_items = false;
  RoleStmt(Span s, Role r) : Stmt(StmtKind::Role, s), role(r) {}
};
// "text" expr gen x ... : appends each item to the stream, left to right. A statement that is a
// single call runs the call (on the current stream) and discards its result.
struct Append : Stmt {
  std::vector<ExprPtr> items;
  bool is_call_statement = false;  // set by sema
  bool role_inline = false;        // the items of `user x y`: always appended, even a single call
  explicit Append(Span s) : Stmt(StmtKind::Append, s) {}
};

// ------------------------------------------------------------------ declarations
enum class DeclKind { Import, Fn, Schema, Enum };

struct Decl {
  DeclKind kind;
  Span span;
  std::string name;  // the declared name (for an import: the last path component)
  Span name_span;
  std::string doc;   // from /// comments directly above
  Decl(DeclKind k, Span s) : kind(k), span(s) {}
  virtual ~Decl() = default;
  template <class T> T& as() { return static_cast<T&>(*this); }
  template <class T> const T& as() const { return static_cast<const T&>(*this); }
};
using DeclPtr = std::unique_ptr<Decl>;

struct Import : Decl {
  std::vector<std::string> path;  // {"std", "chat"}
  explicit Import(Span s) : Decl(DeclKind::Import, s) {}
  std::string dotted() const;
};
struct Param {
  std::string name;
  Span name_span;
  TypeRef type;
  ExprPtr default_value;
  Symbol* symbol = nullptr;
};
struct FnDecl : Decl {
  std::vector<Param> params;
  std::unique_ptr<TypeRef> return_type;  // null: returns nothing
  Block body;
  Symbol* symbol = nullptr;
  const Type* resolved_return = nullptr;  // set by sema
  explicit FnDecl(Span s) : Decl(DeclKind::Fn, s) {}
};
struct Field {
  std::string name;
  Span name_span;
  bool optional = false;
  TypeRef type;
};
struct SchemaDecl : Decl {
  std::vector<Field> fields;
  explicit SchemaDecl(Span s) : Decl(DeclKind::Schema, s) {}
};
struct EnumDecl : Decl {
  std::vector<std::string> values;
  std::vector<Span> value_spans;
  explicit EnumDecl(Span s) : Decl(DeclKind::Enum, s) {}
};

struct Module {
  const SourceFile* file = nullptr;
  std::string name;  // "main" for the user's file, "std.chat" for a library module
  std::vector<DeclPtr> decls;
};

}  // namespace sgl::ast
