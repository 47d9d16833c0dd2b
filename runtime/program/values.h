// Runtime representations behind rt.h's value handles (lists, schema objects) and the operations
// on "bits" that need a type descriptor: text and JSON forms, equality, decoding from JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sgl/rt.h"

// A list: items are bits of elem_type. Growing reallocates in the arena (old storage is dropped).
struct sgl_list {
  const char* elem_type;  // interned descriptor
  int64_t len;
  int64_t cap;
  uint64_t* items;
};

// A schema value keeps its JSON (fields in the order the model wrote them).
struct sgl_obj {
  nlohmann::ordered_json value;
};

namespace re2 {
class RE2;
}

// A compiled regex, shared process-wide by pattern (sgl_regex_get caches them).
struct sgl_regex {
  std::string pattern;
  std::shared_ptr<const re2::RE2> re;
};

namespace sgl {

class Arena;

// A process-wide stable copy of a type descriptor (generated code's strings may go away with a
// JIT module; lists and variables outlive a single call).
const char* intern_type(std::string_view desc);

const sgl_str* make_str(Arena& a, std::string_view s);
inline std::string_view view(const sgl_str* s) {
  return s ? std::string_view(s->data, static_cast<size_t>(s->len)) : std::string_view();
}
inline uint64_t str_bits(const sgl_str* s) { return reinterpret_cast<uint64_t>(s); }
inline const sgl_str* bits_str(uint64_t b) { return reinterpret_cast<const sgl_str*>(b); }
inline double bits_double(uint64_t b) {
  double d;
  __builtin_memcpy(&d, &b, sizeof d);
  return d;
}
inline uint64_t double_bits(double d) {
  uint64_t b;
  __builtin_memcpy(&b, &d, sizeof b);
  return b;
}

sgl_list* make_list(Arena& a, const char* elem_type, int64_t reserve);
void list_push(Arena& a, sgl_list* l, uint64_t bits);

// Shortest text that reads back as the same double; always has a '.' or an exponent ("2.0").
std::string format_float(double v);
// str(x) / print form: scalars as text, lists and schema values as JSON ("[1, 2]", {"a": "b"}).
void append_text(std::string& out, const char* type, uint64_t bits);
// JSON form (strings quoted and escaped); the same layout as append_text for lists and objects.
void append_json(std::string& out, const char* type, uint64_t bits);
nlohmann::ordered_json to_json(const char* type, uint64_t bits);
// Reads a JSON value as `type` into bits (allocating in `a`); false and *err when it does not fit.
bool from_json(Arena& a, const nlohmann::ordered_json& j, const char* type, uint64_t* out, std::string* err);
// Deep equality of two values of one type.
bool value_eq(const char* type, uint64_t a, uint64_t b);
// A short name of a descriptor for messages ("int", "list[str]").
std::string type_name(const char* type);

}  // namespace sgl
