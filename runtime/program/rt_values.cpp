// rt.h entry points that never suspend: memory, strings, regexes, lists, built-in functions,
// schema values and errors.
#include <re2/re2.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "instance.h"
#include "runtime_error.h"
#include "sgl/rt.h"
#include "typed_result.h"
#include "values.h"

using namespace sgl;

namespace {

Arena& arena(sgl_ctx* ctx) { return ctx->tree->arena; }

std::string quote(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

extern "C" {

int32_t sgl_rt_abi_version(void) { return SGL_RT_ABI_VERSION; }

int32_t sgl_error(sgl_ctx* ctx, const sgl_loc* loc, const char* message) {
  return record_error(ctx, loc, message ? message : "");
}

void* sgl_alloc(sgl_ctx* ctx, int64_t bytes) { return arena(ctx).alloc(bytes > 0 ? static_cast<size_t>(bytes) : 0); }

// ---- strings ----

const sgl_str* sgl_str_new(sgl_ctx* ctx, const char* data, int64_t len) {
  return make_str(arena(ctx), std::string_view(data, len > 0 ? static_cast<size_t>(len) : 0));
}

const sgl_str* sgl_str_concat(sgl_ctx* ctx, const sgl_str* a, const sgl_str* b) {
  const sgl_str* parts[2] = {a, b};
  return sgl_str_concat_n(ctx, parts, 2);
}

const sgl_str* sgl_str_concat_n(sgl_ctx* ctx, const sgl_str* const* parts, int64_t n) {
  int64_t total = 0;
  for (int64_t i = 0; i < n; ++i) total += parts[i] ? parts[i]->len : 0;
  auto* r = static_cast<sgl_str*>(arena(ctx).alloc(sizeof(sgl_str) + static_cast<size_t>(total)));
  char* p = reinterpret_cast<char*>(r + 1);
  r->data = p;
  r->len = total;
  for (int64_t i = 0; i < n; ++i)
    if (parts[i] && parts[i]->len) {
      std::memcpy(p, parts[i]->data, static_cast<size_t>(parts[i]->len));
      p += parts[i]->len;
    }
  return r;
}

const sgl_str* sgl_str_from_int(sgl_ctx* ctx, int64_t v) { return make_str(arena(ctx), std::to_string(v)); }
const sgl_str* sgl_str_from_float(sgl_ctx* ctx, double v) { return make_str(arena(ctx), format_float(v)); }
const sgl_str* sgl_str_from_bool(sgl_ctx* ctx, int32_t v) { return make_str(arena(ctx), v ? "true" : "false"); }

const sgl_str* sgl_to_str(sgl_ctx* ctx, const char* type, uint64_t bits) {
  if (type && (type[0] == 's' || type[0] == 'e')) return bits_str(bits);
  std::string s;
  append_text(s, type ? type : "s", bits);
  return make_str(arena(ctx), s);
}

int32_t sgl_str_eq(const sgl_str* a, const sgl_str* b) { return view(a) == view(b); }

int32_t sgl_str_cmp(const sgl_str* a, const sgl_str* b) {
  int c = view(a).compare(view(b));
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

int32_t sgl_value_eq(const char* type, uint64_t a, uint64_t b) { return value_eq(type ? type : "s", a, b); }

// ---- regexes ----

int32_t sgl_regex_get(sgl_ctx* ctx, const sgl_str* pattern, const sgl_loc* loc, const sgl_regex** out) {
  // Compiled once per pattern for the whole process; entries are never freed, so the pointers
  // stay valid for every module and run.
  static std::mutex mu;
  static std::unordered_map<std::string, std::unique_ptr<sgl_regex>> cache;
  std::string p(view(pattern));
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(p);
  if (it == cache.end()) {
    RE2::Options opt;
    opt.set_log_errors(false);
    auto re = std::make_shared<RE2>(p, opt);
    if (!re->ok()) return record_error(ctx, loc, "invalid regex: " + re->error());
    it = cache.emplace(p, std::make_unique<sgl_regex>(sgl_regex{p, std::move(re)})).first;
  }
  *out = it->second.get();
  return SGL_OK;
}

int32_t sgl_regex_search(const sgl_regex* re, const sgl_str* s) {
  std::string_view v = view(s);
  return RE2::PartialMatch(re2::StringPiece(v.data(), v.size()), *re->re);
}

// ---- lists ----

sgl_list* sgl_list_new(sgl_ctx* ctx, const char* elem_type, int64_t reserve) {
  return make_list(arena(ctx), elem_type, reserve);
}

void sgl_list_push(sgl_ctx* ctx, sgl_list* list, uint64_t bits) { list_push(arena(ctx), list, bits); }

int64_t sgl_list_len(const sgl_list* list) { return list ? list->len : 0; }

int32_t sgl_list_get(sgl_ctx* ctx, const sgl_list* list, int64_t index, const sgl_loc* loc, uint64_t* out) {
  int64_t n = list ? list->len : 0;
  if (index < 0 || index >= n) {
    std::string what = n == 0 ? "an empty list" : "a list of " + std::to_string(n) + (n == 1 ? " item" : " items");
    return record_error(ctx, loc, "index " + std::to_string(index) + " is out of range for " + what);
  }
  *out = list->items[index];
  return SGL_OK;
}

sgl_list* sgl_list_concat(sgl_ctx* ctx, const sgl_list* a, const sgl_list* b) {
  const char* t = a ? a->elem_type : b ? b->elem_type : "s";
  sgl_list* r = make_list(arena(ctx), t, (a ? a->len : 0) + (b ? b->len : 0));
  for (const sgl_list* l : {a, b})
    for (int64_t i = 0; l && i < l->len; ++i) list_push(arena(ctx), r, l->items[i]);
  return r;
}

// ---- built-in functions ----

int64_t sgl_str_len(const sgl_str* s) {
  int64_t n = 0;
  for (char c : view(s))
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

int32_t sgl_int_from_str(sgl_ctx* ctx, const sgl_str* s, const sgl_loc* loc, int64_t* out) {
  if (!parse_int(view(s), out)) return record_error(ctx, loc, "cannot convert " + quote(view(s)) + " to int");
  return SGL_OK;
}

int32_t sgl_float_from_str(sgl_ctx* ctx, const sgl_str* s, const sgl_loc* loc, double* out) {
  if (!parse_float(view(s), out)) return record_error(ctx, loc, "cannot convert " + quote(view(s)) + " to float");
  return SGL_OK;
}

int32_t sgl_int_from_float(sgl_ctx* ctx, double v, const sgl_loc* loc, int64_t* out) {
  double t = std::trunc(v);
  // 2^63 itself does not fit; -2^63 does.
  if (std::isnan(v) || t >= 9223372036854775808.0 || t < -9223372036854775808.0)
    return record_error(ctx, loc, "cannot convert " + format_float(v) + " to int");
  *out = static_cast<int64_t>(t);
  return SGL_OK;
}

const sgl_str* sgl_join(sgl_ctx* ctx, const sgl_list* items, const sgl_str* sep) {
  std::string s;
  for (int64_t i = 0; items && i < items->len; ++i) {
    if (i) s += view(sep);
    append_text(s, items->elem_type, items->items[i]);
  }
  return make_str(arena(ctx), s);
}

int32_t sgl_split(sgl_ctx* ctx, const sgl_str* s, const sgl_str* sep, const sgl_loc* loc, sgl_list** out) {
  std::string_view v = view(s), d = view(sep);
  if (d.empty()) return record_error(ctx, loc, "split: the separator is empty");
  sgl_list* l = make_list(arena(ctx), "s", 4);
  size_t start = 0;
  for (;;) {
    size_t k = v.find(d, start);
    if (k == std::string_view::npos) break;
    list_push(arena(ctx), l, str_bits(make_str(arena(ctx), v.substr(start, k - start))));
    start = k + d.size();
  }
  list_push(arena(ctx), l, str_bits(make_str(arena(ctx), v.substr(start))));
  *out = l;
  return SGL_OK;
}

const sgl_str* sgl_trim(sgl_ctx* ctx, const sgl_str* s) {
  std::string_view v = view(s);
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  size_t b = 0, e = v.size();
  while (b < e && ws(v[b])) ++b;
  while (e > b && ws(v[e - 1])) --e;
  if (b == 0 && e == v.size() && s) return s;
  return make_str(arena(ctx), v.substr(b, e - b));
}

int32_t sgl_str_contains(const sgl_str* s, const sgl_str* part) {
  return view(s).find(view(part)) != std::string_view::npos;
}

int32_t sgl_list_contains(const sgl_list* items, uint64_t bits) {
  for (int64_t i = 0; items && i < items->len; ++i)
    if (value_eq(items->elem_type, items->items[i], bits)) return 1;
  return 0;
}

sgl_list* sgl_range(sgl_ctx* ctx, int64_t start, int64_t end) {
  sgl_list* l = make_list(arena(ctx), "i", end > start ? end - start : 1);
  for (int64_t i = start; i < end; ++i) list_push(arena(ctx), l, static_cast<uint64_t>(i));
  return l;
}

// ---- schema values ----

int32_t sgl_obj_get(sgl_ctx* ctx, const sgl_obj* obj, const char* field, const char* type, const sgl_loc* loc,
                    uint64_t* out) {
  auto it = obj ? obj->value.find(field) : nlohmann::ordered_json::const_iterator();
  if (!obj || it == obj->value.end()) return record_error(ctx, loc, std::string("field '") + field + "' is absent");
  std::string why;
  if (!from_json(arena(ctx), *it, type, out, &why))
    return record_error(ctx, loc, std::string("field '") + field + "': " + why);
  return SGL_OK;
}

}  // extern "C"
