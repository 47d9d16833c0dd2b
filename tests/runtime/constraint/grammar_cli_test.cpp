// `sglc grammar` through its library function: exit codes, messages and the --stats JSON.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "grammar_cli.h"

using sgl::GrammarCliOptions;

namespace {

std::string temp_file(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("sgl_grammar_cli_" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

int run(const GrammarCliOptions& o, std::string* out = nullptr, std::string* err = nullptr) {
  std::ostringstream so, se;
  int rc = sgl::cli_grammar(o, so, se);
  if (out) *out = so.str();
  if (err) *err = se.str();
  return rc;
}

}  // namespace

TEST_CASE("sglc grammar: --check exit codes") {
  GrammarCliOptions o;
  o.regex = "[0-9]{3}-[0-9]{4}";
  o.check_file = temp_file("ok.txt", "555-1234");
  CHECK(run(o) == 0);
  o.check_file = temp_file("bad.txt", "555-12x4");
  std::string err;
  CHECK(run(o, nullptr, &err) == 1);
  CHECK(err.find("rejected at byte 6") != std::string::npos);
  o.check_file = temp_file("short.txt", "555-12");
  CHECK(run(o) == 1);

  GrammarCliOptions s;
  s.json_schema_file = temp_file("schema.json", R"({"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]})");
  s.check_file = temp_file("doc.json", "{\"n\": 12}");
  CHECK(run(s) == 0);
  s.check_file = temp_file("doc2.json", "{\"m\": 12}");
  CHECK(run(s) == 1);
}

TEST_CASE("sglc grammar: invalid or unsupported constraints exit 2 with a message") {
  GrammarCliOptions o;
  o.regex = "ab\\bc";
  std::string err;
  CHECK(run(o, nullptr, &err) == 2);
  CHECK(err.find("word boundary") != std::string::npos);
  CHECK(err.find("    ^") != std::string::npos);  // caret under offset 2

  GrammarCliOptions s;
  s.json_schema_file = temp_file("bad_schema.json", R"({"type":"object","properties":{"a":{"not":{}}}})");
  CHECK(run(s, nullptr, &err) == 2);
  CHECK(err.find("'not'") != std::string::npos);
  CHECK(err.find("/properties/a/not") != std::string::npos);

  GrammarCliOptions none;
  CHECK(run(none, nullptr, &err) == 2);
  GrammarCliOptions missing;
  missing.json_schema_file = "/nonexistent/schema.json";
  CHECK(run(missing, nullptr, &err) == 2);
}

TEST_CASE("sglc grammar: --stats prints JSON") {
  GrammarCliOptions o;
  o.regex = "(cat|dog)s?";
  o.stats = true;
  std::string out;
  CHECK(run(o, &out) == 0);
  auto j = nlohmann::json::parse(out);
  CHECK(j["states"].get<int>() >= 5);
  CHECK(j["states_complete"].get<bool>());
  CHECK(j.contains("compile_ms"));

  std::string model = std::string(SGL_MODELS_DIR) + "/tokenizers/llama2-spm/tokenizer.model";
  if (!std::filesystem::exists(model)) {
    MESSAGE("SKIPPED --model part: " << model << " not found");
    return;
  }
  o.model = model;
  CHECK(run(o, &out) == 0);
  j = nlohmann::json::parse(out);
  CHECK(j["vocab_size"].get<int>() == 32000);
  CHECK(j["masks_measured"].get<int>() > 0);
  CHECK(j.contains("mask_new_us_p50"));
  CHECK(j.contains("mask_cached_us_p99"));
}
