#include "types.h"

#include "ast.h"

namespace sgl {

bool Type::is_scalar() const {
  switch (kind) {
    case TypeKind::Str: case TypeKind::Int: case TypeKind::Float: case TypeKind::Bool: case TypeKind::Enum:
      return true;
    default:
      return false;
  }
}

std::string Type::to_string() const {
  switch (kind) {
    case TypeKind::Error: return "<error>";
    case TypeKind::Void: return "void";
    case TypeKind::Bool: return "bool";
    case TypeKind::Int: return "int";
    case TypeKind::Float: return "float";
    case TypeKind::Str: return "str";
    case TypeKind::Regex: return "regex";
    case TypeKind::List: return "list[" + (elem ? elem->to_string() : std::string("?")) + "]";
    case TypeKind::Schema: return schema->name;
    case TypeKind::Enum: {
      if (!enum_name.empty()) return enum_name;
      std::string out = "enum(";
      for (size_t i = 0; i < enum_values.size(); ++i) out += (i ? ", \"" : "\"") + enum_values[i] + "\"";
      return out + ")";
    }
    case TypeKind::Branch: {
      std::string out = "branch{";
      bool first = true;
      for (const auto& [name, t] : stream_vars->vars) {
        out += (first ? "" : ", ") + name + ": " + t->to_string();
        first = false;
      }
      return out + "}";
    }
    case TypeKind::Task: return "task[" + (task_fn ? task_fn->name : std::string("?")) + "]";
  }
  return "?";
}

TypeContext::TypeContext() {
  auto basic = [this](TypeKind k) {
    Type t;
    t.kind = k;
    return make(std::move(t));
  };
  error_ = basic(TypeKind::Error);
  void_ = basic(TypeKind::Void);
  bool_ = basic(TypeKind::Bool);
  int_ = basic(TypeKind::Int);
  float_ = basic(TypeKind::Float);
  str_ = basic(TypeKind::Str);
  regex_ = basic(TypeKind::Regex);
}

const Type* TypeContext::make(Type t) {
  types_.push_back(std::move(t));
  return &types_.back();
}

const Type* TypeContext::list_of(const Type* elem) {
  auto it = lists_.find(elem);
  if (it != lists_.end()) return it->second;
  Type t;
  t.kind = TypeKind::List;
  t.elem = elem;
  return lists_[elem] = make(std::move(t));
}

const Type* TypeContext::schema(const ast::SchemaDecl* decl) {
  auto it = schemas_.find(decl);
  if (it != schemas_.end()) return it->second;
  Type t;
  t.kind = TypeKind::Schema;
  t.schema = decl;
  return schemas_[decl] = make(std::move(t));
}

const Type* TypeContext::enum_type(const std::string& name, const std::vector<std::string>& values) {
  std::string key = name + "\x1f";
  for (const std::string& v : values) key += v + "\x1e";
  auto it = enums_.find(key);
  if (it != enums_.end()) return it->second;
  Type t;
  t.kind = TypeKind::Enum;
  t.enum_name = name;
  t.enum_values = values;
  return enums_[key] = make(std::move(t));
}

const Type* TypeContext::branch(StreamVars vars) {
  vars_.push_back(std::move(vars));
  Type t;
  t.kind = TypeKind::Branch;
  t.stream_vars = &vars_.back();
  return make(std::move(t));
}

const Type* TypeContext::task(const ast::FnDecl* fn, const Type* result, const StreamVars* vars) {
  Type t;
  t.kind = TypeKind::Task;
  t.task_fn = fn;
  t.task_result = result;
  t.stream_vars = vars;
  return make(std::move(t));
}

bool assignable(const Type* from, const Type* to) {
  if (from == to || from->is_error() || to->is_error()) return true;
  if (from->kind == TypeKind::Int && to->kind == TypeKind::Float) return true;
  if (from->kind == TypeKind::Enum && to->kind == TypeKind::Str) return true;
  if (from->kind == TypeKind::Enum && to->kind == TypeKind::Enum) {
    // An inline enum fits a declared one (and vice versa) when every value is allowed there.
    for (const std::string& v : from->enum_values) {
      bool found = false;
      for (const std::string& w : to->enum_values) found |= v == w;
      if (!found) return false;
    }
    return from->enum_name.empty() || to->enum_name.empty() || from->enum_name == to->enum_name;
  }
  if (from->kind == TypeKind::List && to->kind == TypeKind::List) {
    // list[<error>] is the type of [] until its element type is known.
    return from->elem->is_error() || assignable(from->elem, to->elem);
  }
  return false;
}

}  // namespace sgl

