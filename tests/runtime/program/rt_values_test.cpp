// rt.h entry points that never suspend (strings, lists, built-ins, regexes, schema values), run
// inside a program instance the way generated code calls them. CHECK only: a REQUIRE would throw
// across the fiber boundary.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <set>

#include "program_test_util.h"
#include "instance.h"
#include "rt_symbols.h"

using namespace sgl;
using namespace sgl::test;

namespace {

const sgl_loc kLoc{"prog.sgl", 7, 9};
std::vector<std::string> g_errors;

int32_t values_main(sgl_ctx* c, const uint64_t*) {
  // Strings and their text forms.
  CHECK(V(sgl_str_concat(c, S(c, "ab"), S(c, "cd"))) == "abcd");
  const sgl_str* parts[] = {S(c, "x="), sgl_str_from_int(c, -42), S(c, ", y="), sgl_str_from_float(c, 2.0),
                            S(c, ", "), sgl_str_from_bool(c, 1)};
  CHECK(V(sgl_str_concat_n(c, parts, 6)) == "x=-42, y=2.0, true");
  CHECK(V(sgl_str_from_float(c, 0.1)) == "0.1");
  CHECK(V(sgl_str_from_float(c, 1e300)) == "1e+300");
  CHECK(V(sgl_str_from_float(c, -2.5)) == "-2.5");
  CHECK(sgl_str_len(S(c, "h\xc3\xa9llo \xe2\x98\x83")) == 7);
  CHECK(sgl_str_eq(S(c, "a"), S(c, "a")) == 1);
  CHECK(sgl_str_cmp(S(c, "a"), S(c, "b")) < 0);
  CHECK(V(sgl_trim(c, S(c, "  a b \n"))) == "a b");
  CHECK(sgl_str_contains(S(c, "abc"), S(c, "bc")) == 1);

  // Lists: JSON-like text with ", " separators, deep equality, join, split, range.
  sgl_list* xs = sgl_range(c, 1, 4);
  CHECK(sgl_list_len(xs) == 3);
  CHECK(V(sgl_to_str(c, "Li", reinterpret_cast<uint64_t>(xs))) == "[1, 2, 3]");
  CHECK(V(sgl_join(c, xs, S(c, "+"))) == "1+2+3");
  sgl_list* parts_list = nullptr;
  CHECK(sgl_split(c, S(c, "a, b, c"), S(c, ", "), &kLoc, &parts_list) == SGL_OK);
  CHECK(V(sgl_to_str(c, "Ls", reinterpret_cast<uint64_t>(parts_list))) == "[\"a\", \"b\", \"c\"]");
  CHECK(sgl_list_contains(parts_list, reinterpret_cast<uint64_t>(S(c, "b"))) == 1);
  CHECK(sgl_list_contains(parts_list, reinterpret_cast<uint64_t>(S(c, "z"))) == 0);
  sgl_list* both = sgl_list_concat(c, xs, sgl_range(c, 0, 2));
  CHECK(V(sgl_to_str(c, "Li", reinterpret_cast<uint64_t>(both))) == "[1, 2, 3, 0, 1]");
  CHECK(sgl_value_eq("Li", reinterpret_cast<uint64_t>(xs), reinterpret_cast<uint64_t>(sgl_range(c, 1, 4))) == 1);
  CHECK(sgl_value_eq("Li", reinterpret_cast<uint64_t>(xs), reinterpret_cast<uint64_t>(both)) == 0);
  sgl_list* fl = sgl_list_new(c, "f", 0);
  for (int i = 0; i < 9; ++i) sgl_list_push(c, fl, double_bits(i * 0.5));  // grows past the reserve
  CHECK(V(sgl_to_str(c, "Lf", reinterpret_cast<uint64_t>(fl))) ==
        "[0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]");
  uint64_t item = 0;
  CHECK(sgl_list_get(c, xs, 2, &kLoc, &item) == SGL_OK);
  CHECK(item == 3);

  // Conversions.
  int64_t n = 0;
  double d = 0;
  CHECK(sgl_int_from_str(c, S(c, " 42\n"), &kLoc, &n) == SGL_OK);
  CHECK(n == 42);
  CHECK(sgl_float_from_str(c, S(c, "2.5"), &kLoc, &d) == SGL_OK);
  CHECK(d == 2.5);
  CHECK(sgl_int_from_float(c, -2.9, &kLoc, &n) == SGL_OK);
  CHECK(n == -2);

  // Regexes: cached by pattern, unanchored search.
  const sgl_regex *re = nullptr, *re2 = nullptr;
  CHECK(sgl_regex_get(c, S(c, "^[0-9]+$"), &kLoc, &re) == SGL_OK);
  CHECK(sgl_regex_get(c, S(c, "^[0-9]+$"), &kLoc, &re2) == SGL_OK);
  CHECK(re == re2);
  CHECK(sgl_regex_search(re, S(c, "123")) == 1);
  CHECK(sgl_regex_search(re, S(c, "12a")) == 0);

  // Schema values.
  uint64_t obj = 0;
  std::string why;
  CHECK(from_json(c->tree->arena, nlohmann::ordered_json::parse(R"({"name": "Ada", "age": 36, "tags": ["x"]})"),
                  "o", &obj, &why));
  auto* o = reinterpret_cast<const sgl_obj*>(obj);
  uint64_t field = 0;
  CHECK(sgl_obj_get(c, o, "age", "i", &kLoc, &field) == SGL_OK);
  CHECK(field == 36);
  CHECK(sgl_obj_get(c, o, "age", "f", &kLoc, &field) == SGL_OK);
  CHECK(bits_double(field) == 36.0);
  CHECK(sgl_obj_get(c, o, "tags", "Ls", &kLoc, &field) == SGL_OK);
  CHECK(V(sgl_to_str(c, "Ls", field)) == "[\"x\"]");
  CHECK(V(sgl_to_str(c, "o", obj)) == "{\"name\": \"Ada\", \"age\": 36, \"tags\": [\"x\"]}");

  // Every failure records "file:line:col: runtime error: ..."; each is collected from a fresh
  // error slot so all of them are checked.
  auto err = [&](int32_t st) {
    CHECK(st == SGL_ERR_RUNTIME);
    g_errors.push_back(c->error);
    c->error.clear();
  };
  err(sgl_list_get(c, xs, 5, &kLoc, &item));
  err(sgl_list_get(c, sgl_list_new(c, "i", 0), 0, &kLoc, &item));
  err(sgl_list_get(c, sgl_range(c, 0, 1), -1, &kLoc, &item));
  err(sgl_int_from_str(c, S(c, "abc"), &kLoc, &n));
  err(sgl_float_from_str(c, S(c, "1.5x"), &kLoc, &d));
  err(sgl_int_from_float(c, NAN, &kLoc, &n));
  err(sgl_int_from_float(c, 1e19, &kLoc, &n));
  err(sgl_split(c, S(c, "abc"), S(c, ""), &kLoc, &parts_list));
  err(sgl_regex_get(c, S(c, "(unclosed"), &kLoc, &re));
  err(sgl_obj_get(c, o, "zip", "s", &kLoc, &field));
  err(sgl_obj_get(c, o, "name", "i", &kLoc, &field));
  err(sgl_error(c, &kLoc, "custom message"));
  return SGL_OK;
}

}  // namespace

TEST_CASE("rt values: strings, lists, conversions, regexes and schema values; pinned error texts") {
  g_errors.clear();
  ScriptedBackend b;
  sgl_module m = module(values_main);
  RunResult r = run(m, b);
  CHECK(r.rc == 0);
  CHECK(r.err == "");
  std::vector<std::string> expected = {
      "prog.sgl:7:9: runtime error: index 5 is out of range for a list of 3 items",
      "prog.sgl:7:9: runtime error: index 0 is out of range for an empty list",
      "prog.sgl:7:9: runtime error: index -1 is out of range for a list of 1 item",
      "prog.sgl:7:9: runtime error: cannot convert \"abc\" to int",
      "prog.sgl:7:9: runtime error: cannot convert \"1.5x\" to float",
      "prog.sgl:7:9: runtime error: cannot convert nan to int",
      "prog.sgl:7:9: runtime error: cannot convert 1e+19 to int",
      "prog.sgl:7:9: runtime error: split: the separator is empty",
      "prog.sgl:7:9: runtime error: invalid regex: missing ): (unclosed",
      "prog.sgl:7:9: runtime error: field 'zip' is absent",
      "prog.sgl:7:9: runtime error: field 'name': expected int, found \"Ada\"",
      "prog.sgl:7:9: runtime error: custom message",
  };
  CHECK(g_errors == expected);
}

TEST_CASE("rt_symbols lists every function rt.h declares, each once") {
  std::ifstream in(std::string(SGL_SOURCE_DIR) + "/runtime/include/sgl/rt.h");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  REQUIRE(!text.empty());
  // Declarations: a return type, then sgl_name( at the start of a line.
  std::regex decl(R"(\n[a-z_0-9 ]+\**\s*\**(sgl_[a-z_0-9]+)\()");
  std::set<std::string> declared;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), decl); it != std::sregex_iterator(); ++it)
    declared.insert((*it)[1]);
  std::set<std::string> table;
  for (const RtSymbol& s : rt_symbols()) {
    CHECK(s.address != nullptr);
    CHECK(table.insert(s.name).second);
  }
  CHECK(declared.size() > 50);
  CHECK(table == declared);
}
