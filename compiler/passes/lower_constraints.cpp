// Typed gen → regex or JSON schema. Scalars get regexes (cheaper to compile than a schema, and
// what the model writes for `gen n: int` is the bare number); lists and schemas get a JSON schema
// built from the module's schema declarations, with recursive schemas referenced through $defs.
#include "passes/lower_constraints.h"

#include <nlohmann/json.hpp>
#include <set>

#include "internal_error.h"

namespace sgl::passes {

namespace {

using json = nlohmann::ordered_json;

const char* const kIntRegex = "-?(0|[1-9][0-9]*)";
const char* const kFloatRegex = "-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?";
const char* const kBoolRegex = "(true|false)";

std::string regex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string("\\^$.|?*+()[]{}").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

class SchemaBuilder {
 public:
  explicit SchemaBuilder(const ir::Module& m) : m_(m) {}

  json build(const ir::DataType& t) {
    json root = of(t);
    if (!defs_.empty()) root["$defs"] = defs_;
    return root;
  }

 private:
  json of(const ir::DataType& t) {
    using K = ir::DataType::Kind;
    switch (t.kind) {
      case K::Str: return {{"type", "string"}};
      case K::Int: return {{"type", "integer"}};
      case K::Float: return {{"type", "number"}};
      case K::Bool: return {{"type", "boolean"}};
      case K::Enum: return {{"enum", t.values}};
      case K::List: return {{"type", "array"}, {"items", t.elem ? of(*t.elem) : json::object()}};
      case K::Schema: return schema(t.schema);
    }
    return json::object();
  }

  json schema(const std::string& name) {
    const ir::SchemaDecl* s = m_.find_schema(name);
    if (!s) internal_error("constraint pass: schema " + name + " is not in the module");
    if (active_.count(name)) {
      // Recursive: refer to the definition, written once under $defs.
      recursive_.insert(name);
      return {{"$ref", "#/$defs/" + name}};
    }
    active_.insert(name);
    json props = json::object();
    json required = json::array();
    for (const ir::SchemaField& f : s->fields) {
      props[f.name] = of(f.type);
      if (!f.optional) required.push_back(f.name);
    }
    active_.erase(name);
    json out = {{"type", "object"}, {"properties", props}, {"required", required}, {"additionalProperties", false}};
    if (recursive_.count(name)) {
      defs_[name] = out;
      return {{"$ref", "#/$defs/" + name}};
    }
    return out;
  }

  const ir::Module& m_;
  std::set<std::string> active_, recursive_;
  json defs_ = json::object();
};

}  // namespace

ConstraintSpec constraint_for(const ir::Module& m, const ir::DataType& t) {
  using K = ir::DataType::Kind;
  switch (t.kind) {
    case K::Str: return {ir::ConstraintKind::None, ""};
    case K::Int: return {ir::ConstraintKind::Regex, kIntRegex};
    case K::Float: return {ir::ConstraintKind::Regex, kFloatRegex};
    case K::Bool: return {ir::ConstraintKind::Regex, kBoolRegex};
    case K::Enum: {
      std::string re = "(";
      for (size_t i = 0; i < t.values.size(); ++i) re += (i ? "|" : "") + regex_escape(t.values[i]);
      return {ir::ConstraintKind::Regex, re + ")"};
    }
    case K::List: case K::Schema: return {ir::ConstraintKind::Json, SchemaBuilder(m).build(t).dump()};
  }
  return {};
}

void lower_constraints(ir::Module& m) {
  for (auto& f : m.functions) {
    for (ir::Block& b : f->blocks) {
      std::vector<ir::Inst> out;
      out.reserve(b.insts.size());
      for (ir::Inst& in : b.insts) {
        if (in.op == ir::Op::Gen && in.constraint == ir::ConstraintKind::Typed) {
          ConstraintSpec c = constraint_for(m, in.target);
          in.constraint = c.kind;
          in.target = {};
          if (c.kind != ir::ConstraintKind::None) {
            ir::Inst spec;
            spec.op = ir::Op::ConstStr;
            spec.type = ir::Type::str();
            spec.str = c.spec;
            spec.result = f->new_value(spec.type);
            in.args.push_back(spec.result);
            out.push_back(std::move(spec));
          }
        }
        out.push_back(std::move(in));
      }
      b.insts = std::move(out);
    }
  }
}

}  // namespace sgl::passes
