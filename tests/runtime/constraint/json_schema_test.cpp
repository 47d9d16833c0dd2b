// JSON schema conversion: random strings generated from each schema's automaton must parse as
// JSON and validate against the schema (checked by an independent validator), hand-written
// accept/reject cases, and errors that name the keyword and its path.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "constraint.h"
#include "constraint_error.h"
#include "dfa_walk.h"
#include "json_schema.h"
#include "schema_validator.h"
#include "typed_targets.h"

using namespace sgl::constraint;
using namespace sgl::constraint::testing;

namespace {

const char* kSchemas[] = {
    R"({"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer","minimum":0,"maximum":150}},"required":["name","age"]})",
    R"({"type":"object","properties":{"a":{"type":"boolean"},"b":{"type":"null"},"c":{"type":"number"}},"required":["b"],"additionalProperties":false})",
    R"({"type":"array","items":{"type":"integer","minimum":-40,"maximum":-3},"minItems":1,"maxItems":4})",
    R"({"enum":["red","green",3,null,{"x":1}]})",
    R"({"const":{"k":[1,2]}})",
    R"({"type":"string","format":"date"})",
    R"({"type":"string","format":"date-time"})",
    R"({"type":"string","format":"uuid"})",
    R"({"type":"string","format":"email"})",
    R"({"type":"string","format":"time"})",
    R"({"type":"string","pattern":"^[A-Z]{2}-\\d{3}$"})",
    R"({"type":"string","pattern":"ab+c"})",
    R"({"type":"string","minLength":2,"maxLength":5})",
    R"({"$defs":{"pt":{"type":"object","properties":{"x":{"type":"integer"},"y":{"type":"integer"}},"required":["x","y"]}},"type":"array","items":{"$ref":"#/$defs/pt"},"maxItems":3})",
    R"({"anyOf":[{"type":"string","maxLength":3},{"type":"integer","exclusiveMinimum":10}]})",
    R"({"oneOf":[{"type":"boolean"},{"type":"array","items":{"type":"string","maxLength":2},"maxItems":2}]})",
    R"({"type":"object","properties":{"tags":{"type":"array","items":{"enum":["a","b"]}},"meta":{"type":"object","properties":{"v":{"type":"number","minimum":0,"maximum":10}}}}})",
    R"({"type":"object","additionalProperties":{"type":"integer"}})",
    R"({"type":["string","null"],"maxLength":3})",
    R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},"required":["v"]}},"$ref":"#/$defs/node"})",
    R"({"type":"number","exclusiveMinimum":0})",
    R"({"type":"integer","minimum":17,"maximum":12345})",
    R"({"type":"object"})",
    R"({})",
    R"({"type":"string","pattern":"^\"q\"\\\\$"})",
};

}  // namespace

TEST_CASE("json schema: random generated values validate against the schema") {
  std::mt19937 rng(1234);
  size_t checked = 0;
  for (const char* text : kSchemas) {
    ojson schema = ojson::parse(text);
    auto dfa = compile(json_schema_to_rx(schema));
    for (int i = 0; i < 150; ++i) {
      std::string out = random_match(*dfa, rng, 60);
      ojson value;
      try {
        value = ojson::parse(out);
      } catch (const std::exception& e) {
        FAIL_CHECK("schema " << std::string(text) << " generated invalid JSON: " << out);
        continue;
      }
      CHECK_MESSAGE(validate(value, schema, schema), "schema " << std::string(text) << " generated " << out);
      ++checked;
    }
  }
  MESSAGE("json schema: " << checked << " generated values validated");
}

TEST_CASE("json schema: properties come out in schema order") {
  ojson schema = ojson::parse(
      R"({"type":"object","properties":{"zeta":{"type":"integer"},"alpha":{"type":"integer"},"mid":{"type":"integer"}},"required":["zeta","alpha","mid"]})");
  auto dfa = compile(json_schema_to_rx(schema));
  CHECK(dfa->full_match(R"({"zeta":1,"alpha":2,"mid":3})"));
  CHECK_FALSE(dfa->full_match(R"({"alpha":2,"zeta":1,"mid":3})"));
}

TEST_CASE("json schema: hand-written accept and reject cases") {
  struct Row {
    const char* schema;
    const char* text;
    bool match;
  };
  const Row rows[] = {
      {R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["b"]})", R"({"b":"x"})", true},
      {R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["b"]})", R"({"a":1})", false},
      {R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["b"]})", "{\n  \"a\": 1,\n  \"b\": \"x\"\n}", true},
      {R"({"type":"object","properties":{"a":{"type":"integer"}}})", R"({})", true},
      {R"({"type":"object","properties":{"a":{"type":"integer"}}})", R"({"a":1,"c":2})", false},
      {R"({"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":true})", R"({"a":1,"c":[2]})", true},
      {R"({"type":"integer"})", "-01", false},
      {R"({"type":"integer"})", "007", false},
      {R"({"type":"integer"})", "-12", true},
      {R"({"type":"number"})", "-1.5e+10", true},
      {R"({"type":"number"})", "1.", false},
      {R"({"type":"integer","minimum":10,"maximum":99})", "9", false},
      {R"({"type":"integer","minimum":10,"maximum":99})", "99", true},
      {R"({"type":"integer","minimum":10,"maximum":99})", "100", false},
      {R"({"type":"integer","maximum":-5})", "-5", true},
      {R"({"type":"integer","maximum":-5})", "-4", false},
      {R"({"type":"integer","maximum":-5})", "-123456789", true},
      {R"({"type":"number","minimum":0,"maximum":1})", "1.0", true},
      {R"({"type":"number","minimum":0,"maximum":1})", "1.5", false},
      {R"({"type":"number","minimum":0,"maximum":1})", "0.25", true},
      {R"({"type":"number","exclusiveMinimum":0})", "0", false},
      {R"({"type":"number","exclusiveMinimum":0})", "0.001", true},
      {R"({"type":"string","maxLength":2})", R"("ab")", true},
      {R"({"type":"string","maxLength":2})", R"("abc")", false},
      {R"({"type":"string","maxLength":2})", R"("\n\u00e9")", true},
      {R"({"type":"string","maxLength":2})", R"("é€")", true},
      {R"({"type":"string"})", "\"a\nb\"", false},
      {R"({"type":"string","pattern":"^a\"b$"})", R"("a\"b")", true},
      {R"({"type":"string","pattern":"^a\"b$"})", R"("a"b")", false},
      {R"({"type":"string","pattern":"x"})", R"("__x__")", true},
      {R"({"type":"string","format":"date"})", R"("2024-02-30")", true},
      {R"({"type":"string","format":"date"})", R"("2024-13-01")", false},
      {R"({"type":"string","format":"uuid"})", R"("123e4567-e89b-12d3-a456-426614174000")", true},
      {R"({"type":"array","items":{"type":"boolean"},"minItems":2,"maxItems":3})", "[true]", false},
      {R"({"type":"array","items":{"type":"boolean"},"minItems":2,"maxItems":3})", "[true, false]", true},
      {R"({"type":"array","items":{"type":"boolean"},"minItems":2,"maxItems":3})", "[true,true,true,true]", false},
      {R"({"enum":["a",1,null]})", "null", true},
      {R"({"enum":["a",1,null]})", "\"b\"", false},
      {R"({"type":"boolean"})", " true", false},
  };
  for (const Row& r : rows) {
    auto dfa = compile_json_schema(r.schema);
    CHECK_MESSAGE(dfa->full_match(r.text) == r.match,
                  "schema " << std::string(r.schema) << " on " << std::string(r.text) << " (want " << r.match << ")");
  }
  auto compact = compile_json_schema(R"({"type":"array","items":{"type":"integer"}})",
                                     {JsonWhitespace::Compact});
  CHECK(compact->full_match("[1,2]"));
  CHECK_FALSE(compact->full_match("[1, 2]"));
  auto single = compile_json_schema(R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]})",
                                    {JsonWhitespace::Single});
  CHECK(single->full_match(R"({"a":1})"));
  CHECK(single->full_match(R"({ "a" : 1 })"));
  CHECK_FALSE(single->full_match(R"({"a":  1})"));
  CHECK_FALSE(single->full_match("{\n\"a\": 1}"));
}

TEST_CASE("json schema: unsupported keywords name the keyword and the JSON path") {
  struct Row {
    const char* schema;
    const char* message_part;
    const char* path;
  };
  const Row rows[] = {
      {R"({"type":"object","properties":{"a":{"type":"string","contentEncoding":"base64"}}})",
       "unsupported keyword 'contentEncoding'", "/properties/a/contentEncoding"},
      {R"({"type":"array","prefixItems":[{"type":"integer"}]})", "'prefixItems'", "/prefixItems"},
      {R"({"type":"string","format":"ipv4"})", "unsupported format 'ipv4'", "/format"},
      {R"({"$ref":"other.json#/x"})", "non-local '$ref'", "/$ref"},
      {R"({"$ref":"#/$defs/missing"})", "does not resolve", "/$ref"},
      {R"({"type":"string","pattern":"a\\bc"})", "word boundary", "/pattern"},
      {R"({"type":"number","minimum":0.5})", "not representable", ""},
      {R"({"type":"integer","minimum":1e20})", "not representable", "/minimum"},
      {R"({"allOf":[{"type":"string"},{"maxLength":2}]})", "'allOf'", "/allOf"},
      {R"({"type":"strin"})", "unknown type 'strin'", "/type"},
      {R"({"type":"integer","minimum":5,"maximum":2})", "admit no value", ""},
  };
  for (const Row& r : rows) {
    try {
      compile_json_schema(r.schema);
      FAIL_CHECK("accepted: " << r.schema);
    } catch (const ConstraintError& e) {
      CHECK_MESSAGE(std::string(e.what()).find(r.message_part) != std::string::npos,
                    std::string(r.schema) << " -> " << std::string(e.what()));
      std::string want = std::string(r.path).empty() ? "/" : r.path;
      CHECK_MESSAGE(e.json_path() == want, r.schema << " -> path " << e.json_path());
    }
  }
  CHECK_THROWS_WITH_AS(compile_json_schema("{not json"), doctest::Contains("not valid JSON"),
                       ConstraintError);
}

TEST_CASE("typed targets and choices") {
  auto i = compile(rx_int());
  CHECK(i->full_match("-42"));
  CHECK_FALSE(i->full_match("4.2"));
  auto f = compile(rx_float());
  CHECK(f->full_match("4.2e-3"));
  auto b = compile(rx_bool());
  CHECK(b->full_match("false"));
  CHECK_FALSE(b->full_match("no"));
  auto c = compile_choices({"apple", "apricot", "banana"});
  CHECK(c->full_match("apricot"));
  CHECK_FALSE(c->full_match("ap"));
  CHECK(c->forced_bytes(c->next(c->start(), 'a')) == "p");
}

TEST_CASE("integer ranges are exact on every value in a window") {
  for (auto [lo, hi] : std::vector<std::pair<int64_t, int64_t>>{{-130, 257}, {0, 0}, {7, 1000}, {-999, -100}}) {
    auto dfa = compile(integer_range_rx(&lo, &hi));
    for (int64_t v = -1200; v <= 1200; ++v)
      CHECK_MESSAGE(dfa->full_match(std::to_string(v)) == (v >= lo && v <= hi), lo << ".." << hi << " on " << v);
  }
  int64_t lo = 95;
  auto open = compile(integer_range_rx(&lo, nullptr));
  for (int64_t v = -10; v <= 12000; ++v) CHECK(open->full_match(std::to_string(v)) == (v >= 95));
}
