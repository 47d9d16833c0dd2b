// The schema walker: one function per schema kind, each returning Rx. Objects with optional
// properties are built as shared suffix chains (see object()) so their size stays linear in the
// number of properties after the NFA builder's memoisation.
#include "json_schema.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <set>

#include "constraint_error.h"
#include "regex_parser.h"

namespace sgl::constraint {

using json = nlohmann::ordered_json;

namespace {

std::string digits_of(uint64_t v) { return std::to_string(v); }

// Regex text for the decimal strings of equal length in [a, b].
std::string range_same_len(const std::string& a, const std::string& b) {
  size_t n = a.size();
  if (n == 0) return "";
  if (a == b) return a;
  if (n == 1) return std::string("[") + a[0] + "-" + b[0] + "]";
  if (a[0] == b[0]) return a[0] + range_same_len(a.substr(1), b.substr(1));
  std::string zeros(n - 1, '0'), nines(n - 1, '9');
  std::string any_tail = "[0-9]{" + std::to_string(n - 1) + "}";
  if (a.substr(1) == zeros && b.substr(1) == nines)
    return std::string("[") + a[0] + "-" + b[0] + "]" + any_tail;
  std::vector<std::string> parts;
  parts.push_back(a[0] + range_same_len(a.substr(1), nines));
  if (b[0] - a[0] > 1)
    parts.push_back(std::string("[") + static_cast<char>(a[0] + 1) + "-" +
                    static_cast<char>(b[0] - 1) + "]" + any_tail);
  parts.push_back(b[0] + range_same_len(zeros, b.substr(1)));
  std::string out = "(?:";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "|" : "") + parts[i];
  return out + ")";
}

// Regex text for non-negative integers in [lo, hi]; hi == UINT64_MAX means unbounded.
std::string range_nonneg(uint64_t lo, uint64_t hi) {
  bool unbounded = hi == UINT64_MAX;
  std::string slo = digits_of(lo);
  size_t max_len = unbounded ? slo.size() : digits_of(hi).size();
  std::vector<std::string> parts;
  for (size_t len = slo.size(); len <= max_len; ++len) {
    std::string a = len == slo.size() ? slo : "1" + std::string(len - 1, '0');
    std::string b = (!unbounded && len == max_len) ? digits_of(hi) : std::string(len, '9');
    parts.push_back(range_same_len(a, b));
  }
  if (unbounded) parts.push_back("[1-9][0-9]{" + std::to_string(slo.size()) + ",}");
  std::string out = "(?:";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "|" : "") + parts[i];
  return out + ")";
}

Rx re(const std::string& pattern) { return parse_regex(pattern); }

class SchemaConverter {
 public:
  SchemaConverter(const json& root, const JsonSchemaOptions& options)
      : root_(root), opt_(options) {
    switch (opt_.whitespace) {
      case JsonWhitespace::Compact: ws_ = rx_empty(); break;
      case JsonWhitespace::Single: ws_ = rx_repeat(rx_chars({{' ', ' '}}), 0, 1); break;
      case JsonWhitespace::Flexible:
        ws_ = rx_repeat(rx_chars({{'\t', '\n'}, {'\r', '\r'}, {' ', ' '}}), 0, opt_.max_whitespace);
        break;
    }
    // One JSON string character: anything but '"', '\' and controls, or an escape.
    json_char_ = rx_alt({rx_chars({{0x20, 0x21}, {0x23, 0x5B}, {0x5D, kMaxCodePoint}}),
                         re(R"(\\["\\/bfnrt]|\\u(?:[0-9a-cA-Ce-fE-F][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2}))")});
    string_ = rx_concat({rx_literal("\""), rx_star(json_char_), rx_literal("\"")});
    integer_ = re("-?(?:0|[1-9][0-9]*)");
    number_ = re("-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]{1,2})?");
  }

  Rx convert(const json& s, const std::string& path) {
    if (s.is_boolean()) return s.get<bool>() ? any_value(opt_.max_any_depth) : rx_nothing();
    if (!s.is_object()) fail("schema must be an object or a boolean", path);
    static const std::set<std::string> kAnnotations = {
        "title", "description", "default", "examples", "$schema", "$id", "$comment",
        "deprecated", "readOnly", "writeOnly", "$defs", "definitions"};
    static const std::set<std::string> kKnown = {
        "type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "properties", "required",
        "additionalProperties", "items", "minItems", "maxItems", "minLength", "maxLength",
        "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"};
    size_t non_annotation = 0;
    for (auto it = s.begin(); it != s.end(); ++it) {
      if (kAnnotations.count(it.key())) continue;
      if (!kKnown.count(it.key()))
        fail("unsupported keyword '" + it.key() + "'", path + "/" + escape(it.key()));
      ++non_annotation;
    }
    if (s.contains("$ref")) {
      if (non_annotation > 1) fail("unsupported: keywords beside '$ref'", path);
      return ref(s["$ref"], path + "/$ref");
    }
    if (s.contains("const")) return rx_literal(s["const"].dump());
    if (s.contains("enum")) {
      const json& e = s["enum"];
      if (!e.is_array()) fail("'enum' must be an array", path + "/enum");
      std::vector<Rx> alts;
      for (const json& v : e) alts.push_back(rx_literal(v.dump()));
      return rx_alt(std::move(alts));
    }
    for (const char* key : {"anyOf", "oneOf", "allOf"}) {
      if (!s.contains(key)) continue;
      const json& list = s[key];
      std::string p = path + "/" + key;
      if (!list.is_array() || list.empty()) fail(std::string("'") + key + "' must be a non-empty array", p);
      if (non_annotation > 1) fail(std::string("unsupported: keywords beside '") + key + "'", path);
      if (std::string(key) == "allOf") {
        if (list.size() != 1) fail("unsupported: 'allOf' with more than one schema", p);
        return convert(list[0], p + "/0");
      }
      std::vector<Rx> alts;
      for (size_t i = 0; i < list.size(); ++i) alts.push_back(convert(list[i], p + "/" + std::to_string(i)));
      return rx_alt(std::move(alts));
    }
    std::vector<std::string> types;
    if (s.contains("type")) {
      const json& t = s["type"];
      if (t.is_string()) {
        types.push_back(t.get<std::string>());
      } else if (t.is_array()) {
        for (const json& x : t) types.push_back(x.get<std::string>());
      } else {
        fail("'type' must be a string or an array", path + "/type");
      }
    } else if (s.contains("properties") || s.contains("additionalProperties") ||
               s.contains("required")) {
      types.push_back("object");
    } else if (s.contains("items") || s.contains("minItems") || s.contains("maxItems")) {
      types.push_back("array");
    } else if (s.contains("minLength") || s.contains("maxLength") || s.contains("pattern") ||
               s.contains("format")) {
      types.push_back("string");
    } else if (s.contains("minimum") || s.contains("maximum") || s.contains("exclusiveMinimum") ||
               s.contains("exclusiveMaximum")) {
      types.push_back("number");
    } else {
      return any_value(opt_.max_any_depth);
    }
    std::vector<Rx> alts;
    for (const std::string& t : types) {
      if (t == "string") alts.push_back(string(s, path));
      else if (t == "integer") alts.push_back(integer(s, path));
      else if (t == "number") alts.push_back(number(s, path));
      else if (t == "boolean") alts.push_back(rx_alt({rx_literal("true"), rx_literal("false")}));
      else if (t == "null") alts.push_back(rx_literal("null"));
      else if (t == "object") alts.push_back(object(s, path));
      else if (t == "array") alts.push_back(array(s, path));
      else fail("unknown type '" + t + "'", path + "/type");
    }
    return rx_alt(std::move(alts));
  }

 private:
  [[noreturn]] static void fail(const std::string& msg, const std::string& path) {
    throw ConstraintError("json schema: " + msg + " at " + (path.empty() ? "/" : path),
                          ConstraintError::npos, path.empty() ? "/" : path);
  }
  static std::string escape(const std::string& key) {
    std::string out;
    for (char c : key) {
      if (c == '~') out += "~0";
      else if (c == '/') out += "~1";
      else out += c;
    }
    return out;
  }

  Rx ref(const json& r, const std::string& path) {
    if (!r.is_string()) fail("'$ref' must be a string", path);
    std::string target = r.get<std::string>();
    if (target.empty() || target[0] != '#')
      fail("unsupported: non-local '$ref' \"" + target + "\"", path);
    const json* node = nullptr;
    try {
      node = &root_.at(json::json_pointer(target.substr(1)));
    } catch (const json::exception&) {
      fail("'$ref' \"" + target + "\" does not resolve", path);
    }
    uint32_t& open = open_refs_[target];
    if (open >= opt_.max_ref_depth) return rx_nothing();  // recursion unrolled far enough
    ++open;
    Rx out = convert(*node, target.substr(1));
    --open;
    return out;
  }

  static uint32_t get_count(const json& s, const char* key, uint32_t def, const std::string& path) {
    if (!s.contains(key)) return def;
    const json& v = s[key];
    if (!v.is_number_integer() || v.get<int64_t>() < 0)
      fail(std::string("'") + key + "' must be a non-negative integer", path + "/" + key);
    return static_cast<uint32_t>(std::min<int64_t>(v.get<int64_t>(), 1000000));
  }

  // Rewrites a pattern's Rx so that it matches the JSON-escaped form of the strings it matched:
  // '"', '\' and control characters must appear as escapes inside a JSON string.
  Rx jsonify(const Rx& rx) {
    switch (rx->kind) {
      case RxKind::Chars: {
        std::vector<CodeRange> special = {{0, 0x1F}, {'"', '"'}, {'\\', '\\'}};
        std::vector<Rx> alts = {rx_chars(subtract_ranges(rx->ranges, special))};
        for (const CodeRange& r : rx->ranges) {
          for (char32_t c = r.lo; c <= std::min<char32_t>(r.hi, 0x5C); ++c) {
            if (c < 0x20 || c == '"' || c == '\\') alts.push_back(rx_literal(escaped(c)));
          }
        }
        return rx_alt(std::move(alts));
      }
      case RxKind::Literal: {
        std::string out;
        for (unsigned char c : rx->text) out += (c < 0x20 || c == '"' || c == '\\') ? escaped(c) : std::string(1, static_cast<char>(c));
        return rx_literal(out);
      }
      case RxKind::Concat:
      case RxKind::Alt: {
        std::vector<Rx> kids;
        for (const Rx& k : rx->kids) kids.push_back(jsonify(k));
        return rx->kind == RxKind::Concat ? rx_concat(std::move(kids)) : rx_alt(std::move(kids));
      }
      case RxKind::Repeat: return rx_repeat(jsonify(rx->kids[0]), rx->min, rx->max);
      default: return rx;
    }
  }
  static std::string escaped(char32_t c) {
    switch (c) {
      case '"': return "\\\"";
      case '\\': return "\\\\";
      case '\n': return "\\n";
      case '\t': return "\\t";
      case '\r': return "\\r";
      case '\b': return "\\b";
      case '\f': return "\\f";
      default: {
        char buf[8];
        snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        return buf;
      }
    }
  }

  Rx string(const json& s, const std::string& path) {
    Rx body;
    bool has_len = s.contains("minLength") || s.contains("maxLength");
    if (s.contains("pattern") || s.contains("format")) {
      if (has_len) fail("unsupported: 'minLength'/'maxLength' together with 'pattern' or 'format'", path);
      if (s.contains("pattern") && s.contains("format"))
        fail("unsupported: 'pattern' together with 'format'", path);
    }
    if (s.contains("pattern")) {
      const json& p = s["pattern"];
      if (!p.is_string()) fail("'pattern' must be a string", path + "/pattern");
      try {
        body = jsonify(parse_regex_search(p.get<std::string>(), json_char_decoded()));
      } catch (const ConstraintError& e) {
        fail(std::string(e.what()), path + "/pattern");
      }
    } else if (s.contains("format")) {
      std::string f = s["format"].get<std::string>();
      static const std::map<std::string, std::string> kFormats = {
          {"date", "[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"},
          {"time", "(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\\.[0-9]{1,9})?"
                   "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"},
          {"date-time", "[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T"
                        "(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\\.[0-9]{1,9})?"
                        "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"},
          {"uuid", "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"},
          {"email", "[a-zA-Z0-9._%+-]{1,64}@[a-zA-Z0-9-]{1,63}(?:\\.[a-zA-Z0-9-]{1,63})*\\.[a-zA-Z]{2,24}"},
      };
      auto it = kFormats.find(f);
      if (it == kFormats.end()) fail("unsupported format '" + f + "'", path + "/format");
      body = re(it->second);
    } else {
      uint32_t lo = get_count(s, "minLength", 0, path);
      uint32_t hi = get_count(s, "maxLength", kUnbounded, path);
      if (hi != kUnbounded && hi < lo) fail("'maxLength' < 'minLength'", path);
      body = rx_repeat(json_char_, lo, hi);
    }
    return rx_concat({rx_literal("\""), body, rx_literal("\"")});
  }

  // One decoded character for pattern search semantics (jsonify escapes it afterwards).
  Rx json_char_decoded() { return rx_chars({{0, kMaxCodePoint}}); }

  bool bound(const json& s, const char* key, double* v, const std::string& path) {
    if (!s.contains(key)) return false;
    if (!s[key].is_number()) fail(std::string("'") + key + "' must be a number", path + "/" + key);
    *v = s[key].get<double>();
    if (std::fabs(*v) > 1e15)
      fail(std::string("unsupported: '") + key + "' beyond 1e15 is not representable", path + "/" + key);
    return true;
  }

  Rx integer(const json& s, const std::string& path) {
    double v;
    int64_t lo = 0, hi = 0;
    bool has_lo = false, has_hi = false;
    if (bound(s, "minimum", &v, path)) { lo = static_cast<int64_t>(std::ceil(v)); has_lo = true; }
    if (bound(s, "exclusiveMinimum", &v, path)) {
      int64_t x = static_cast<int64_t>(std::floor(v)) + 1;
      lo = has_lo ? std::max(lo, x) : x;
      has_lo = true;
    }
    if (bound(s, "maximum", &v, path)) { hi = static_cast<int64_t>(std::floor(v)); has_hi = true; }
    if (bound(s, "exclusiveMaximum", &v, path)) {
      int64_t x = static_cast<int64_t>(std::ceil(v)) - 1;
      hi = has_hi ? std::min(hi, x) : x;
      has_hi = true;
    }
    if (!has_lo && !has_hi) return integer_;
    Rx r = integer_range_rx(has_lo ? &lo : nullptr, has_hi ? &hi : nullptr);
    if (r->kind == RxKind::Nothing) fail("integer bounds admit no value", path);
    return r;
  }

  Rx number(const json& s, const std::string& path) {
    double lo = 0, hi = 0, xlo = 0;
    bool has_lo = bound(s, "minimum", &lo, path), has_hi = bound(s, "maximum", &hi, path);
    bool has_xlo = bound(s, "exclusiveMinimum", &xlo, path);
    if (s.contains("exclusiveMaximum"))
      fail("unsupported: 'exclusiveMaximum' on number is not representable", path + "/exclusiveMaximum");
    if (!has_lo && !has_hi && !has_xlo) return number_;
    auto is_nonneg_int = [](double x) { return x >= 0 && std::floor(x) == x; };
    if ((has_lo && !is_nonneg_int(lo)) || (has_hi && !is_nonneg_int(hi)) ||
        (has_xlo && !is_nonneg_int(xlo)) || (has_lo && has_xlo) || (!has_lo && !has_xlo))
      fail("unsupported: number bounds other than non-negative integer 'minimum' or "
           "'exclusiveMinimum' (with an optional integer 'maximum') are not representable",
           path);
    Rx frac = re("(?:\\.[0-9]+)?");
    std::vector<Rx> alts;
    int64_t first = has_lo ? static_cast<int64_t>(lo) : static_cast<int64_t>(xlo) + 1;
    if (has_xlo)  // xlo itself plus a non-zero fraction
      alts.push_back(re(std::to_string(static_cast<int64_t>(xlo)) + "\\.[0-9]*[1-9][0-9]*"));
    if (has_hi) {
      int64_t h = static_cast<int64_t>(hi);
      if (h < first && !(has_lo && h == first)) {
        if (alts.empty()) fail("number bounds admit no value", path);
      } else {
        int64_t below = h - 1;
        if (below >= first) alts.push_back(rx_concat({integer_range_rx(&first, &below), frac}));
        alts.push_back(re(std::to_string(h) + "(?:\\.0+)?"));
      }
    } else {
      alts.push_back(rx_concat({integer_range_rx(&first, nullptr), frac}));
    }
    return rx_alt(std::move(alts));
  }

  Rx member(const std::string& key, const Rx& value) {
    return rx_concat({rx_literal(json(key).dump()), ws_, rx_literal(":"), ws_, value});
  }

  Rx object(const json& s, const std::string& path) {
    std::vector<std::string> keys;
    std::vector<Rx> values;
    std::set<std::string> required;
    if (s.contains("required")) {
      if (!s["required"].is_array()) fail("'required' must be an array", path + "/required");
      for (const json& k : s["required"]) required.insert(k.get<std::string>());
    }
    if (s.contains("properties")) {
      const json& props = s["properties"];
      if (!props.is_object()) fail("'properties' must be an object", path + "/properties");
      // nlohmann::ordered_json keeps schema order; see json_schema_to_rx.
      for (auto it = props.begin(); it != props.end(); ++it) {
        keys.push_back(it.key());
        values.push_back(convert(it.value(), path + "/properties/" + escape(it.key())));
      }
    }
    for (const std::string& r : required) {
      if (std::find(keys.begin(), keys.end(), r) == keys.end()) {
        keys.push_back(r);  // required but undescribed: any value
        values.push_back(any_value(opt_.max_any_depth));
      }
    }
    Rx extra;  // one additional member, or null when none are allowed
    bool any_props = !s.contains("properties") && !s.contains("required");
    if (s.contains("additionalProperties")) {
      const json& ap = s["additionalProperties"];
      if (ap.is_boolean()) {
        if (ap.get<bool>()) extra = member_any_key(any_value(opt_.max_any_depth - 1));
      } else {
        extra = member_any_key(convert(ap, path + "/additionalProperties"));
      }
    } else if (any_props) {
      extra = member_any_key(any_value(opt_.max_any_depth - 1));
    }
    Rx sep = rx_concat({ws_, rx_literal(","), ws_});
    // tail[i][first]: members i.. when `first` (nothing emitted yet, so no leading comma).
    size_t n = keys.size();
    Rx tail_first, tail_rest;
    if (extra) {
      tail_rest = rx_star(rx_concat({sep, extra}));
      tail_first = rx_opt(rx_concat({extra, tail_rest}));
    } else {
      tail_first = tail_rest = rx_empty();
    }
    for (size_t i = n; i-- > 0;) {
      Rx m = member(keys[i], values[i]);
      Rx with_rest = rx_concat({m, tail_rest});
      Rx rest = rx_concat({sep, with_rest});
      if (required.count(keys[i])) {
        tail_first = with_rest;
        tail_rest = rest;
      } else {
        tail_first = rx_alt({with_rest, tail_first});
        tail_rest = rx_alt({rest, tail_rest});
      }
    }
    return rx_concat({rx_literal("{"), ws_, tail_first, ws_, rx_literal("}")});
  }

  Rx member_any_key(const Rx& value) {
    return rx_concat({string_, ws_, rx_literal(":"), ws_, value});
  }

  Rx array(const json& s, const std::string& path) {
    Rx item = s.contains("items") ? convert(s["items"], path + "/items")
                                  : any_value(opt_.max_any_depth - 1);
    uint32_t lo = get_count(s, "minItems", 0, path);
    uint32_t hi = get_count(s, "maxItems", kUnbounded, path);
    if (hi != kUnbounded && hi < lo) fail("'maxItems' < 'minItems'", path);
    Rx sep = rx_concat({ws_, rx_literal(","), ws_});
    Rx body;
    if (hi == 0) {
      body = rx_empty();
    } else {
      Rx more = rx_repeat(rx_concat({sep, item}), lo == 0 ? 0 : lo - 1,
                          hi == kUnbounded ? kUnbounded : hi - 1);
      body = rx_concat({item, more});
      if (lo == 0) body = rx_opt(body);
    }
    return rx_concat({rx_literal("["), ws_, body, ws_, rx_literal("]")});
  }

  Rx any_value(uint32_t depth) {
    auto it = any_cache_.find(depth);
    if (it != any_cache_.end()) return it->second;
    std::vector<Rx> alts = {string_, number_, rx_literal("true"), rx_literal("false"),
                            rx_literal("null")};
    if (depth > 0 && depth < 100) {
      Rx inner = any_value(depth - 1);
      Rx sep = rx_concat({ws_, rx_literal(","), ws_});
      Rx mem = member_any_key(inner);
      alts.push_back(rx_concat({rx_literal("{"), ws_,
                                rx_opt(rx_concat({mem, rx_star(rx_concat({sep, mem}))})), ws_,
                                rx_literal("}")}));
      alts.push_back(rx_concat({rx_literal("["), ws_,
                                rx_opt(rx_concat({inner, rx_star(rx_concat({sep, inner}))})), ws_,
                                rx_literal("]")}));
    }
    Rx out = rx_alt(std::move(alts));
    any_cache_[depth] = out;
    return out;
  }

  const json& root_;
  JsonSchemaOptions opt_;
  Rx ws_, json_char_, string_, integer_, number_;
  std::map<std::string, uint32_t> open_refs_;
  std::map<uint32_t, Rx> any_cache_;
};

}  // namespace

Rx integer_range_rx(const int64_t* lo, const int64_t* hi) {
  std::vector<Rx> alts;
  // Negative part: "-" then magnitudes in [max(1, -hi), -lo].
  if (!lo || *lo < 0) {
    uint64_t mag_lo = (hi && *hi < 0) ? static_cast<uint64_t>(-*hi) : 1;
    uint64_t mag_hi = lo ? static_cast<uint64_t>(-*lo) : UINT64_MAX;
    if (mag_lo <= mag_hi) alts.push_back(re("-" + range_nonneg(mag_lo, mag_hi)));
  }
  if (!hi || *hi >= 0) {
    uint64_t a = (lo && *lo > 0) ? static_cast<uint64_t>(*lo) : 0;
    uint64_t b = hi ? static_cast<uint64_t>(*hi) : UINT64_MAX;
    if (a <= b) alts.push_back(re(range_nonneg(a, b)));
  }
  return rx_alt(std::move(alts));
}

Rx json_schema_to_rx(const nlohmann::ordered_json& schema, const JsonSchemaOptions& options) {
  SchemaConverter c(schema, options);
  Rx out = c.convert(schema, "");
  if (out->kind == RxKind::Nothing)
    throw ConstraintError("json schema: admits no value", ConstraintError::npos, "/");
  return out;
}

Rx json_schema_to_rx(std::string_view schema_text, const JsonSchemaOptions& options) {
  json schema;
  try {
    schema = nlohmann::ordered_json::parse(schema_text.begin(), schema_text.end());
  } catch (const nlohmann::json::exception& e) {
    throw ConstraintError(std::string("json schema: not valid JSON: ") + e.what(),
                          ConstraintError::npos, "/");
  }
  return json_schema_to_rx(schema, options);
}

}  // namespace sgl::constraint
