// A small, independent JSON-schema validator for the subset the converter supports, so schema
// tests check generated JSON against the schema's meaning rather than against our own regex.
#pragma once

#include <re2/re2.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

namespace sgl::constraint::testing {

using ojson = nlohmann::ordered_json;

inline size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

inline bool validate(const ojson& v, const ojson& s, const ojson& root) {
  if (s.is_boolean()) return s.get<bool>();
  if (s.contains("$ref")) {
    std::string ref = s["$ref"].get<std::string>();
    return validate(v, root.at(ojson::json_pointer(ref.substr(1))), root);
  }
  if (s.contains("const") && v != s["const"]) return false;
  if (s.contains("enum")) {
    bool found = false;
    for (const auto& e : s["enum"]) found |= (e == v);
    if (!found) return false;
  }
  for (const char* key : {"anyOf", "oneOf"}) {
    if (!s.contains(key)) continue;
    int n = 0;
    for (const auto& b : s[key]) n += validate(v, b, root);
    if (n == 0 || (std::string(key) == "oneOf" && n != 1)) return false;
  }
  if (s.contains("allOf"))
    for (const auto& b : s["allOf"]) if (!validate(v, b, root)) return false;
  if (s.contains("type")) {
    auto is = [&](const std::string& t) {
      if (t == "string") return v.is_string();
      if (t == "integer") return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
      if (t == "number") return v.is_number();
      if (t == "boolean") return v.is_boolean();
      if (t == "null") return v.is_null();
      if (t == "object") return v.is_object();
      if (t == "array") return v.is_array();
      return false;
    };
    bool ok = false;
    if (s["type"].is_string()) ok = is(s["type"].get<std::string>());
    else for (const auto& t : s["type"]) ok |= is(t.get<std::string>());
    if (!ok) return false;
  }
  if (v.is_string()) {
    std::string str = v.get<std::string>();
    if (s.contains("minLength") && code_points(str) < s["minLength"].get<size_t>()) return false;
    if (s.contains("maxLength") && code_points(str) > s["maxLength"].get<size_t>()) return false;
    if (s.contains("pattern") && !RE2::PartialMatch(str, RE2(s["pattern"].get<std::string>()))) return false;
    if (s.contains("format")) {
      std::string f = s["format"].get<std::string>();
      const char* re = f == "date" ? R"(\d{4}-\d\d-\d\d)"
                     : f == "time" ? R"(\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d))"
                     : f == "date-time" ? R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d))"
                     : f == "uuid" ? R"([0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})"
                     : f == "email" ? R"([^@\s]+@[^@\s]+\.[a-zA-Z]+)" : ".*";
      if (!RE2::FullMatch(str, re)) return false;
    }
  }
  if (v.is_number()) {
    double x = v.get<double>();
    if (s.contains("minimum") && x < s["minimum"].get<double>()) return false;
    if (s.contains("maximum") && x > s["maximum"].get<double>()) return false;
    if (s.contains("exclusiveMinimum") && x <= s["exclusiveMinimum"].get<double>()) return false;
    if (s.contains("exclusiveMaximum") && x >= s["exclusiveMaximum"].get<double>()) return false;
  }
  if (v.is_array()) {
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) return false;
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) return false;
    if (s.contains("items"))
      for (const auto& x : v) if (!validate(x, s["items"], root)) return false;
  }
  if (v.is_object()) {
    if (s.contains("required"))
      for (const auto& k : s["required"]) if (!v.contains(k.get<std::string>())) return false;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (s.contains("properties") && s["properties"].contains(it.key())) {
        if (!validate(it.value(), s["properties"][it.key()], root)) return false;
      } else if (s.contains("additionalProperties")) {
        if (!validate(it.value(), s["additionalProperties"], root)) return false;
      } else if (s.contains("properties")) {
        return false;  // our policy: no extra keys unless additionalProperties allows them
      }
    }
  }
  return true;
}

}  // namespace sgl::constraint::testing
