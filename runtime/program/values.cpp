// Value helpers shared by the rt.h entry points, typed gen decoding and --json output.
#include "values.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <mutex>
#include <set>

#include "arena.h"

namespace sgl {

const char* intern_type(std::string_view desc) {
  static std::mutex mu;
  static std::set<std::string, std::less<>> pool;
  std::lock_guard<std::mutex> lock(mu);
  auto it = pool.find(desc);
  if (it == pool.end()) it = pool.emplace(desc).first;
  return it->c_str();
}

const sgl_str* make_str(Arena& a, std::string_view s) {
  auto* r = static_cast<sgl_str*>(a.alloc(sizeof(sgl_str) + s.size()));
  char* data = reinterpret_cast<char*>(r + 1);
  if (!s.empty()) std::memcpy(data, s.data(), s.size());
  r->data = data;
  r->len = static_cast<int64_t>(s.size());
  return r;
}

sgl_list* make_list(Arena& a, const char* elem_type, int64_t reserve) {
  auto* l = static_cast<sgl_list*>(a.alloc(sizeof(sgl_list)));
  l->elem_type = intern_type(elem_type ? elem_type : "s");
  l->cap = reserve > 0 ? reserve : 4;
  l->items = static_cast<uint64_t*>(a.alloc(sizeof(uint64_t) * static_cast<size_t>(l->cap)));
  return l;
}

void list_push(Arena& a, sgl_list* l, uint64_t bits) {
  if (l->len == l->cap) {
    int64_t cap = l->cap * 2;
    auto* items = static_cast<uint64_t*>(a.alloc(sizeof(uint64_t) * static_cast<size_t>(cap)));
    if (l->len) std::memcpy(items, l->items, sizeof(uint64_t) * static_cast<size_t>(l->len));
    l->items = items;
    l->cap = cap;
  }
  l->items[l->len++] = bits;
}

std::string format_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

namespace {

void append_quoted(std::string& out, std::string_view s) {
  out += nlohmann::ordered_json(std::string(s)).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// JSON with ", " and ": " separators, numbers in the language's own forms.
void append_json_value(std::string& out, const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        append_quoted(out, it.key());
        out += ": ";
        append_json_value(out, it.value());
      }
      out += '}';
      break;
    }
    case nlohmann::ordered_json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < j.size(); ++i) {
        if (i) out += ", ";
        append_json_value(out, j[i]);
      }
      out += ']';
      break;
    }
    case nlohmann::ordered_json::value_t::number_float: out += format_float(j.get<double>()); break;
    default: out += j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace); break;
  }
}

}  // namespace

void append_text(std::string& out, const char* type, uint64_t bits) {
  switch (type[0]) {
    case 's':
    case 'e': out += view(bits_str(bits)); break;
    case 'r': out += reinterpret_cast<const sgl_regex*>(bits)->pattern; break;
    default: append_json(out, type, bits); break;
  }
}

void append_json(std::string& out, const char* type, uint64_t bits) {
  switch (type[0]) {
    case 's':
    case 'e': append_quoted(out, view(bits_str(bits))); break;
    case 'r': append_quoted(out, reinterpret_cast<const sgl_regex*>(bits)->pattern); break;
    case 'i': out += std::to_string(static_cast<int64_t>(bits)); break;
    case 'f': out += format_float(bits_double(bits)); break;
    case 'b': out += bits ? "true" : "false"; break;
    case 'L': {
      auto* l = reinterpret_cast<const sgl_list*>(bits);
      out += '[';
      for (int64_t i = 0; l && i < l->len; ++i) {
        if (i) out += ", ";
        append_json(out, type + 1, l->items[i]);
      }
      out += ']';
      break;
    }
    case 'o': {
      auto* o = reinterpret_cast<const sgl_obj*>(bits);
      if (o) append_json_value(out, o->value);
      else out += "null";
      break;
    }
    case 'B': out += "\"<branch>\""; break;
    case 'T': out += "\"<task>\""; break;
    default: out += "null"; break;
  }
}

nlohmann::ordered_json to_json(const char* type, uint64_t bits) {
  switch (type[0]) {
    case 's':
    case 'e': return std::string(view(bits_str(bits)));
    case 'r': return reinterpret_cast<const sgl_regex*>(bits)->pattern;
    case 'i': return static_cast<int64_t>(bits);
    case 'f': return bits_double(bits);
    case 'b': return bits != 0;
    case 'L': {
      auto j = nlohmann::ordered_json::array();
      auto* l = reinterpret_cast<const sgl_list*>(bits);
      for (int64_t i = 0; l && i < l->len; ++i) j.push_back(to_json(type + 1, l->items[i]));
      return j;
    }
    case 'o': {
      auto* o = reinterpret_cast<const sgl_obj*>(bits);
      return o ? o->value : nlohmann::ordered_json();
    }
    default: return nullptr;
  }
}

std::string type_name(const char* type) {
  switch (type[0]) {
    case 's': return "str";
    case 'i': return "int";
    case 'f': return "float";
    case 'b': return "bool";
    case 'r': return "regex";
    case 'e': return "enum value";
    case 'o': return "schema value";
    case 'L': return "list[" + type_name(type + 1) + "]";
    case 'B': return "branch";
    case 'T': return "task";
    default: return "value";
  }
}

bool from_json(Arena& a, const nlohmann::ordered_json& j, const char* type, uint64_t* out, std::string* err) {
  auto fail = [&] {
    *err = "expected " + type_name(type) + ", found " + j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    return false;
  };
  switch (type[0]) {
    case 's':
    case 'e':
      if (!j.is_string()) return fail();
      *out = str_bits(make_str(a, j.get_ref<const std::string&>()));
      return true;
    case 'i':
      if (j.is_number_integer()) {
        if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return fail();
        *out = static_cast<uint64_t>(j.get<int64_t>());
        return true;
      }
      // 3.0 is an int written by a model that likes decimals; 3.5 is not.
      if (j.is_number_float()) {
        double d = j.get<double>();
        if (std::trunc(d) == d && std::fabs(d) < 9.2e18) {
          *out = static_cast<uint64_t>(static_cast<int64_t>(d));
          return true;
        }
      }
      return fail();
    case 'f':
      if (!j.is_number()) return fail();
      *out = double_bits(j.get<double>());
      return true;
    case 'b':
      if (!j.is_boolean()) return fail();
      *out = j.get<bool>() ? 1 : 0;
      return true;
    case 'L': {
      if (!j.is_array()) return fail();
      sgl_list* l = make_list(a, type + 1, static_cast<int64_t>(j.size()));
      for (const auto& e : j) {
        uint64_t b = 0;
        if (!from_json(a, e, type + 1, &b, err)) return false;
        list_push(a, l, b);
      }
      *out = reinterpret_cast<uint64_t>(l);
      return true;
    }
    case 'o': {
      if (!j.is_object()) return fail();
      *out = reinterpret_cast<uint64_t>(a.make<sgl_obj>(sgl_obj{j}));
      return true;
    }
    default: *err = "cannot decode a " + type_name(type) + " from JSON"; return false;
  }
}

bool value_eq(const char* type, uint64_t a, uint64_t b) {
  switch (type[0]) {
    case 's':
    case 'e': return view(bits_str(a)) == view(bits_str(b));
    case 'r': return reinterpret_cast<const sgl_regex*>(a)->pattern == reinterpret_cast<const sgl_regex*>(b)->pattern;
    case 'f': return bits_double(a) == bits_double(b);
    case 'L': {
      auto* x = reinterpret_cast<const sgl_list*>(a);
      auto* y = reinterpret_cast<const sgl_list*>(b);
      int64_t nx = x ? x->len : 0, ny = y ? y->len : 0;
      if (nx != ny) return false;
      for (int64_t i = 0; i < nx; ++i)
        if (!value_eq(type + 1, x->items[i], y->items[i])) return false;
      return true;
    }
    case 'o': {
      auto* x = reinterpret_cast<const sgl_obj*>(a);
      auto* y = reinterpret_cast<const sgl_obj*>(b);
      if (!x || !y) return x == y;
      // Field order is how the model wrote it, not part of the value.
      return nlohmann::json(x->value) == nlohmann::json(y->value);
    }
    default: return a == b;
  }
}

}  // namespace sgl
