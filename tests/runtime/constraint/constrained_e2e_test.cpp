// End to end: constrained gens through the real model backend at temperature 1.0, 1,000 per
// constraint, on stories260K and on random weights. Every output must full-match its regex
// (checked with RE2, not our automaton) or parse as JSON and validate against its schema (checked
// with nlohmann's parser and the independent validator in schema_validator.h). Every constraint
// here is bounded in length, so max_tokens can never cut an output short.
#include <doctest/doctest.h>
#include <re2/re2.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "../test_models.h"
#include "backend.h"
#include "model_backend.h"
#include "schema_validator.h"

using namespace sgl;

namespace {

constexpr int kGens = 1000;
constexpr int kChunk = 250;  // requests in flight at once (bounds KV memory)

const char* const kRegexes[] = {
    R"([0-9]{1,3})",
    R"(-?[1-9][0-9]{0,4})",
    R"((yes|no|maybe))",
    R"([A-Z][a-z]{1,8})",
    R"([a-z]{1,10}@[a-z]{2,6}\.(com|org|net))",
    R"(\d{4}-\d{2}-\d{2})",
    R"([01]{8})",
    R"((red|green|blue), (cat|dog))",
    R"(#[0-9a-f]{6})",
    R"(\(\d{3}\) \d{3}-\d{4})",
    R"([A-Z]{2,3}-\d{2,4})",
    R"(The answer is [0-9]{1,2}\.)",
    R"([a-z]{1,6}( [a-z]{1,6}){0,3})",
    R"(\w{1,10})",
    R"((0|[1-9][0-9]?)\.[0-9]{2})",
    R"([^\n"]{1,12})",
    R"(\p{Lu}\p{Ll}{0,6})",
    R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun)day?)",
    R"(v[0-9]\.[0-9]{1,2}\.[0-9]{1,2})",
    R"(\s?[a-c]{3}\s?)",
};

const char* const kSchemas[] = {
    R"({"type":"boolean"})",
    R"({"type":"integer","minimum":0,"maximum":100})",
    R"({"enum":["low","medium","high"]})",
    R"({"type":"string","maxLength":8})",
    R"({"type":"string","minLength":2,"maxLength":6})",
    R"({"type":"string","format":"date"})",
    R"({"type":"string","format":"uuid"})",
    R"({"type":"null"})",
    R"({"const":"fixed"})",
    R"({"type":"array","items":{"type":"boolean"},"maxItems":3})",
    R"({"type":"array","items":{"type":"integer","minimum":-5,"maximum":5},"minItems":1,"maxItems":4})",
    R"({"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]})",
    R"({"type":"object","properties":{"name":{"type":"string","maxLength":6},"age":{"type":"integer","minimum":0,"maximum":120}},"required":["name","age"]})",
    R"({"type":"object","properties":{"a":{"type":"integer","minimum":1,"maximum":9},"b":{"enum":["x","y"]}},"required":["a"]})",
    R"({"type":"object","properties":{"tags":{"type":"array","items":{"type":"string","maxLength":4},"maxItems":2}},"required":["tags"]})",
    R"({"anyOf":[{"type":"boolean"},{"type":"integer","minimum":0,"maximum":9}]})",
    R"({"type":"object","properties":{"p":{"type":"object","properties":{"x":{"type":"integer","minimum":0,"maximum":99},"y":{"type":"integer","minimum":0,"maximum":99}},"required":["x","y"]}},"required":["p"]})",
    R"({"type":"string","pattern":"^[a-z]{3}$"})",
    R"({"$defs":{"d":{"enum":["n","s","e","w"]}},"type":"array","items":{"$ref":"#/$defs/d"},"maxItems":3})",
    R"({"type":"object","properties":{"kind":{"const":"point"},"v":{"type":"boolean"},"n":{"type":"null"}},"required":["kind","v","n"]})",
};

struct Outcome {
  int bad = 0;
  std::string example;  // the first bad output
};

// Runs kGens gens of one constraint at temperature 1.0 with distinct seeds; `ok` judges each text.
template <class Judge>
Outcome run_many(Backend& b, ConstraintKind kind, const std::string& spec, Judge ok) {
  Outcome out;
  std::vector<Request> reqs(kGens);
  for (int start = 0; start < kGens; start += kChunk) {
    int n = std::min(kChunk, kGens - start);
    for (int i = start; i < start + n; ++i) {
      Request& r = reqs[i];
      r.id = (uint64_t)i + 1;
      r.kind = RequestKind::Gen;
      r.prompt = "Once upon a time, ";
      r.gen.max_tokens = 200;
      r.gen.temperature = 1.0;
      r.gen.seed = 1000 + (uint64_t)i;
      r.gen.constraint = kind;
      r.gen.constraint_text = spec;
      b.submit(&r);
    }
    int finished = 0;
    std::vector<Request*> done;
    while (finished < n) {
      done.clear();
      b.step(done);
      finished += (int)done.size();
    }
    for (int i = start; i < start + n; ++i) {
      const Request& r = reqs[i];
      bool good = r.error.empty() && ok(r.text);
      if (!good && out.bad++ == 0) out.example = r.error.empty() ? r.text : "error: " + r.error;
    }
  }
  return out;
}

void check_all(const std::string& model) {
  auto backend = make_model_backend(model, ModelBackendOptions{});
  auto t0 = std::chrono::steady_clock::now();
  for (const char* re : kRegexes) {
    RE2 ref(std::string("(?s)") + re);
    REQUIRE(ref.ok());
    Outcome o = run_many(*backend, ConstraintKind::Regex, re, [&](const std::string& t) { return RE2::FullMatch(t, ref); });
    CHECK_MESSAGE(o.bad == 0, model << ": /" << std::string(re) << "/: " << o.bad << " of " << kGens << " outputs do not match, e.g. '"
                                    << o.example << "'");
  }
  for (const char* schema : kSchemas) {
    auto s = nlohmann::ordered_json::parse(schema);
    Outcome o = run_many(*backend, ConstraintKind::JsonSchema, schema, [&](const std::string& t) {
      auto v = nlohmann::ordered_json::parse(t, nullptr, false);
      return !v.is_discarded() && constraint::testing::validate(v, s, s);
    });
    CHECK_MESSAGE(o.bad == 0, model << ": " << std::string(schema) << ": " << o.bad << " of " << kGens << " outputs are invalid, e.g. '"
                                    << o.example << "'");
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE(model << ": " << 40 * kGens << " constrained gens in " << s << " s");
}

}  // namespace

TEST_CASE("1,000 gens per regex and schema at temperature 1 all match: random weights") {
  check_all("random:stories260K");
}

TEST_CASE("1,000 gens per regex and schema at temperature 1 all match: stories260K" * doctest::test_suite("model")) {
  if (!sgl::test::have_model("stories260K/stories260K.bin")) return;
  check_all(sgl::test::model_path("stories260K/stories260K.bin"));
}
