// Typed gen decoding (see typed_result.h).
#include "typed_result.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "arena.h"
#include "values.h"

namespace sgl {
namespace {

std::string_view trim_ascii(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

std::string quote(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

bool parse_int(std::string_view s, int64_t* out) {
  s = trim_ascii(s);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_float(std::string_view s, double* out) {
  s = trim_ascii(s);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool decode_gen_result(Arena& a, std::string_view text, const char* type, uint64_t* out, std::string* err) {
  if (!type || !*type) type = "s";
  switch (type[0]) {
    case 's':
    case 'e': *out = str_bits(make_str(a, text)); return true;
    case 'i': {
      int64_t v;
      if (!parse_int(text, &v)) {
        *err = "cannot read " + quote(text) + " as an int";
        return false;
      }
      *out = static_cast<uint64_t>(v);
      return true;
    }
    case 'f': {
      double v;
      if (!parse_float(text, &v)) {
        *err = "cannot read " + quote(text) + " as a float";
        return false;
      }
      *out = double_bits(v);
      return true;
    }
    case 'b': {
      std::string_view t = trim_ascii(text);
      if (t != "true" && t != "false") {
        *err = "cannot read " + quote(text) + " as a bool";
        return false;
      }
      *out = t == "true";
      return true;
    }
    case 'o':
    case 'L': {
      nlohmann::ordered_json j = nlohmann::ordered_json::parse(text, nullptr, false);
      if (j.is_discarded()) {
        *err = "cannot read " + quote(text) + " as JSON";
        return false;
      }
      std::string why;
      if (!from_json(a, j, type, out, &why)) {
        *err = "cannot read the output as a " + type_name(type) + ": " + why;
        return false;
      }
      return true;
    }
    default: *err = "cannot decode a gen result as " + type_name(type); return false;
  }
}

}  // namespace sgl
