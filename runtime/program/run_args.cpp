// Parsing and checking main's parameter values (see run_args.h).
#include "run_args.h"

#include <nlohmann/json.hpp>

#include "arena.h"
#include "typed_result.h"
#include "values.h"

namespace sgl {
namespace {

const char* type_word(char t) {
  switch (t) {
    case 'i': return "an int";
    case 'f': return "a float";
    case 'b': return "a bool (true or false)";
    default: return "a str";
  }
}

bool parse_text(char type, const std::string& text, ArgValue* v) {
  v->type = type;
  switch (type) {
    case 'i': return parse_int(text, &v->i);
    case 'f': return parse_float(text, &v->f);
    case 'b':
      if (text != "true" && text != "false") return false;
      v->b = text == "true";
      return true;
    default: v->s = text; return true;
  }
}

int find_param(const sgl_module& m, const std::string& name) {
  for (int i = 0; i < m.num_params; ++i)
    if (name == m.params[i].name) return i;
  return -1;
}

// Defaults, then --arg values: the values a line starts from. `given` marks what was set.
bool base_values(const sgl_module& m, const ArgList& args, std::vector<ArgValue>* out, std::vector<bool>* given,
                 std::string* err) {
  out->assign(static_cast<size_t>(m.num_params), ArgValue{});
  given->assign(static_cast<size_t>(m.num_params), false);
  for (int i = 0; i < m.num_params; ++i) {
    const sgl_param& p = m.params[i];
    (*out)[i].type = p.type[0];
    if (p.default_text) {
      if (!parse_text(p.type[0], p.default_text, &(*out)[i])) {
        *err = std::string("internal error: the default of '") + p.name + "' is not " + type_word(p.type[0]);
        return false;
      }
      (*given)[i] = true;
    }
  }
  std::vector<bool> seen(static_cast<size_t>(m.num_params), false);
  for (const auto& [name, value] : args) {
    int i = find_param(m, name);
    if (i < 0) {
      *err = "--arg " + name + "=" + value + ": main has no parameter '" + name + "'";
      return false;
    }
    if (seen[i]) {
      *err = "--arg " + name + " is given twice";
      return false;
    }
    seen[i] = true;
    if (!parse_text(m.params[i].type[0], value, &(*out)[i])) {
      *err = "--arg " + name + "=" + value + ": '" + value + "' is not " + type_word(m.params[i].type[0]);
      return false;
    }
    (*given)[i] = true;
  }
  return true;
}

}  // namespace

bool args_from_cli(const sgl_module& m, const ArgList& args, std::vector<ArgValue>* out, std::string* err) {
  std::vector<bool> given;
  if (!base_values(m, args, out, &given, err)) return false;
  for (int i = 0; i < m.num_params; ++i)
    if (!given[i]) {
      *err = std::string("missing --arg ") + m.params[i].name + "=VALUE (main's parameter '" + m.params[i].name +
             "' has no default)";
      return false;
    }
  return true;
}

bool args_from_json(const sgl_module& m, const nlohmann::json& line, const ArgList& args, std::vector<ArgValue>* out,
                    std::string* err) {
  std::vector<bool> given;
  if (!base_values(m, args, out, &given, err)) return false;
  if (!line.is_object()) {
    *err = "expected a JSON object with main's parameters as keys";
    return false;
  }
  for (auto it = line.begin(); it != line.end(); ++it) {
    int i = find_param(m, it.key());
    if (i < 0) {
      *err = "main has no parameter '" + it.key() + "'";
      return false;
    }
    ArgValue& v = (*out)[i];
    const nlohmann::json& j = it.value();
    char t = m.params[i].type[0];
    bool ok = true;
    switch (t) {
      case 'i':
        ok = j.is_number_integer() && !(j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX));
        if (ok) v.i = j.get<int64_t>();
        break;
      case 'f':
        ok = j.is_number();
        if (ok) v.f = j.get<double>();
        break;
      case 'b':
        ok = j.is_boolean();
        if (ok) v.b = j.get<bool>();
        break;
      default:
        ok = j.is_string();
        if (ok) v.s = j.get<std::string>();
        break;
    }
    if (!ok) {
      *err = "'" + it.key() + "' must be " + type_word(t) + ", got " + j.dump();
      return false;
    }
    given[i] = true;
  }
  for (int i = 0; i < m.num_params; ++i)
    if (!given[i]) {
      *err = std::string("missing '") + m.params[i].name + "' (main's parameter has no default)";
      return false;
    }
  return true;
}

uint64_t arg_bits(Arena& a, const ArgValue& v) {
  switch (v.type) {
    case 'i': return static_cast<uint64_t>(v.i);
    case 'f': return double_bits(v.f);
    case 'b': return v.b ? 1 : 0;
    default: return str_bits(make_str(a, v.s));
  }
}

}  // namespace sgl
