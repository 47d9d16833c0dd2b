// SGL IR helpers: type names, op names and the op properties that the verifier, the passes and
// codegen share (which ops end a block, which can fail at run time).
#include "ir/ir.h"

namespace sgl::ir {

namespace {

std::string desc_to_string(const std::string& d, size_t& i) {
  if (i >= d.size()) return "?";
  char c = d[i++];
  switch (c) {
    case 's': return "str";
    case 'e': return "enum";
    case 'r': return "regex";
    case 'i': return "int";
    case 'f': return "float";
    case 'b': return "bool";
    case 'o': return "obj";
    case 'B': return "branch";
    case 'T': return "task";
    case 'F': return "fork";
    case 'N': return "env";
    case 'L': return "list[" + desc_to_string(d, i) + "]";
    default: return std::string("?") + c;
  }
}

}  // namespace

std::string Type::to_string() const {
  if (desc.empty()) return "void";
  size_t i = 0;
  std::string out = desc_to_string(desc, i);
  if (i != desc.size()) out += "?" + desc.substr(i);  // malformed: the verifier reports it
  return out;
}

Kind kind_of(const Type& t) {
  if (t.desc.empty()) return Kind::Void;
  switch (t.desc[0]) {
    case 's': case 'e': case 'r': return Kind::Str;
    case 'i': return Kind::Int;
    case 'f': return Kind::Float;
    case 'b': return Kind::Bool;
    case 'o': return Kind::Obj;
    case 'B': return Kind::Branch;
    case 'T': return Kind::Task;
    case 'F': return Kind::Fork;
    case 'N': return Kind::Env;
    case 'L': return Kind::List;
    default: return Kind::Void;
  }
}

const char* to_string(Kind k) {
  switch (k) {
    case Kind::Void: return "void";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::List: return "list";
    case Kind::Obj: return "obj";
    case Kind::Branch: return "branch";
    case Kind::Task: return "task";
    case Kind::Fork: return "fork";
    case Kind::Env: return "env";
  }
  return "?";
}

std::string DataType::to_string() const {
  switch (kind) {
    case Kind::Str: return "str";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Bool: return "bool";
    case Kind::Enum: {
      std::string out = "enum(";
      for (size_t i = 0; i < values.size(); ++i) out += (i ? ", \"" : "\"") + values[i] + "\"";
      return out + ")";
    }
    case Kind::List: return "list[" + (elem ? elem->to_string() : std::string("?")) + "]";
    case Kind::Schema: return schema;
  }
  return "?";
}

const char* to_string(Op op) {
  switch (op) {
    case Op::ConstStr: return "const.str";
    case Op::ConstInt: return "const.int";
    case Op::ConstFloat: return "const.float";
    case Op::ConstBool: return "const.bool";
    case Op::Load: return "load";
    case Op::Store: return "store";
    case Op::IAdd: return "iadd";
    case Op::ISub: return "isub";
    case Op::IMul: return "imul";
    case Op::IDiv: return "idiv";
    case Op::IMod: return "imod";
    case Op::INeg: return "ineg";
    case Op::FAdd: return "fadd";
    case Op::FSub: return "fsub";
    case Op::FMul: return "fmul";
    case Op::FDiv: return "fdiv";
    case Op::FNeg: return "fneg";
    case Op::IToF: return "itof";
    case Op::BoolToInt: return "bool_to_int";
    case Op::Not: return "not";
    case Op::ICmp: return "icmp";
    case Op::FCmp: return "fcmp";
    case Op::Concat: return "concat";
    case Op::ToStr: return "to_str";
    case Op::StrLen: return "str.len";
    case Op::StrEq: return "str.eq";
    case Op::StrCmp: return "str.cmp";
    case Op::ValueEq: return "value.eq";
    case Op::RegexMatch: return "regex.match";
    case Op::Convert: return "convert";
    case Op::ListNew: return "list.new";
    case Op::ListPush: return "list.push";
    case Op::ListLen: return "list.len";
    case Op::ListGet: return "list.get";
    case Op::ListConcat: return "list.concat";
    case Op::IntFromStr: return "int_from_str";
    case Op::FloatFromStr: return "float_from_str";
    case Op::IntFromFloat: return "int_from_float";
    case Op::Join: return "join";
    case Op::Split: return "split";
    case Op::Trim: return "trim";
    case Op::StrContains: return "str.contains";
    case Op::ListContains: return "list.contains";
    case Op::Range: return "range";
    case Op::Print: return "print";
    case Op::Text: return "text";
    case Op::Append: return "append";
    case Op::RoleBegin: return "role.begin";
    case Op::RoleEnd: return "role.end";
    case Op::Gen: return "gen";
    case Op::Select: return "select";
    case Op::Fork: return "fork";
    case Op::ForkBegin: return "fork.begin";
    case Op::ForkStart: return "fork.start";
    case Op::ForkJoin: return "fork.join";
    case Op::EnvNew: return "env.new";
    case Op::EnvStore: return "env.store";
    case Op::EnvLoad: return "env.load";
    case Op::BranchVar: return "branch.var";
    case Op::BranchText: return "branch.text";
    case Op::BranchesVar: return "branches.var";
    case Op::Spawn: return "spawn";
    case Op::TaskResult: return "task.result";
    case Op::TaskText: return "task.text";
    case Op::TaskVar: return "task.var";
    case Op::ObjGet: return "obj.get";
    case Op::Call: return "call";
    case Op::Br: return "br";
    case Op::CondBr: return "condbr";
    case Op::Ret: return "ret";
    case Op::Unreachable: return "unreachable";
  }
  return "?";
}

bool is_terminator(Op op) { return op == Op::Br || op == Op::CondBr || op == Op::Ret || op == Op::Unreachable; }

bool can_fail(Op op) {
  switch (op) {
    case Op::IDiv: case Op::IMod: case Op::RegexMatch: case Op::ListGet: case Op::IntFromStr:
    case Op::FloatFromStr: case Op::IntFromFloat: case Op::Split: case Op::Gen: case Op::Select:
    case Op::Fork: case Op::ForkBegin: case Op::ForkJoin: case Op::BranchVar: case Op::BranchesVar:
    case Op::TaskResult: case Op::TaskText: case Op::TaskVar: case Op::ObjGet: case Op::Call:
      return true;
    default:
      return false;
  }
}

const GenOption* find_gen_option(const std::string& name) {
  static const GenOption options[] = {
      {"max_tokens", Kind::Int, false},      {"min_tokens", Kind::Int, false},
      {"stop", Kind::Str, true},             {"stop_token_ids", Kind::Int, true},
      {"temperature", Kind::Float, false},   {"top_p", Kind::Float, false},
      {"top_k", Kind::Int, false},           {"min_p", Kind::Float, false},
      {"frequency_penalty", Kind::Float, false}, {"presence_penalty", Kind::Float, false},
      {"ignore_eos", Kind::Bool, false},     {"seed", Kind::Int, false},
      {"logprobs", Kind::Bool, false},       {"top_logprobs", Kind::Int, false},
  };
  for (const GenOption& o : options)
    if (name == o.name) return &o;
  return nullptr;
}

const char* to_string(Cmp c) {
  switch (c) {
    case Cmp::Eq: return "eq";
    case Cmp::Ne: return "ne";
    case Cmp::Lt: return "lt";
    case Cmp::Le: return "le";
    case Cmp::Gt: return "gt";
    case Cmp::Ge: return "ge";
  }
  return "?";
}

const char* to_string(FnKind k) {
  switch (k) {
    case FnKind::Normal: return "fn";
    case FnKind::Branch: return "branch fn";
    case FnKind::Spawn: return "spawn fn";
    case FnKind::Prefix: return "prefix fn";
  }
  return "?";
}

int Function::add_block(const std::string& base) {
  int id = static_cast<int>(blocks.size());
  blocks.push_back({id == 0 ? std::string("entry") : base + "." + std::to_string(id), {}});
  return id;
}

Function* Module::find(const std::string& name) const {
  for (auto& f : functions)
    if (f->name == name) return f.get();
  return nullptr;
}

const SchemaDecl* Module::find_schema(const std::string& name) const {
  for (auto& s : schemas)
    if (s.name == name) return &s;
  return nullptr;
}

void renumber_values(Module& m) {
  for (auto& f : m.functions) {
    std::vector<int> id(f->value_types.size(), -1);
    std::vector<Type> types;
    for (size_t i = 0; i < f->params.size(); ++i) {
      id[i] = static_cast<int>(i);
      types.push_back(f->value_types[i]);
    }
    for (Block& b : f->blocks) {
      for (Inst& in : b.insts) {
        if (in.result < 0 || in.result >= static_cast<int>(id.size())) continue;
        id[in.result] = static_cast<int>(types.size());
        types.push_back(f->value_types[in.result]);
        in.result = id[in.result];
      }
    }
    // A use whose definition is missing keeps its (invalid) number for the verifier to report.
    for (Block& b : f->blocks)
      for (Inst& in : b.insts)
        for (int& a : in.args)
          if (a >= 0 && a < static_cast<int>(id.size()) && id[a] >= 0) a = id[a];
    f->value_types = std::move(types);
  }
}

}  // namespace sgl::ir
