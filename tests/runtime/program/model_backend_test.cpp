// The real-model backend under generated-like programs: greedy gen equals cli_complete, regex
// constraints hold, select picks the likely choice, batched lines equal single runs. stories260K
// tests skip with a message when ../shared/models is absent; random-weight tests always run.
#include "model_backend.h"

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "engine_cli.h"
#include "program_test_util.h"
#include "../test_models.h"

using namespace sgl;
using namespace sgl::test;

namespace {

const sgl_loc kLoc{"prog.sgl", 3, 5};
const std::vector<sgl_param> kParams = {{"prompt", "s", nullptr}, {"regex", "s", ""}, {"max", "i", "40"}};

// fn main(prompt: str, regex: str = "", max: int = 40) { prompt; gen story(max_tokens: max, regex: ...) }
int32_t story_main(sgl_ctx* c, const uint64_t* args) {
  sgl_append(c, reinterpret_cast<const sgl_str*>(args[0]));
  sgl_gen_opts* o = sgl_gen_opts_new(c, "story");
  sgl_gen_set_int(o, SGL_OPT_MAX_TOKENS, static_cast<int64_t>(args[2]));
  const sgl_str* re = reinterpret_cast<const sgl_str*>(args[1]);
  if (re->len) sgl_gen_constrain(o, SGL_CONSTRAINT_REGEX, re);
  uint64_t out;
  return sgl_gen(c, o, "s", &kLoc, &out);
}

// fn main(prompt: str, method: int) { prompt; select pick(" Lily", " Zqxv", method) }
int32_t select_main(sgl_ctx* c, const uint64_t* args) {
  sgl_append(c, reinterpret_cast<const sgl_str*>(args[0]));
  sgl_list* l = sgl_list_new(c, "s", 2);
  sgl_list_push(c, l, reinterpret_cast<uint64_t>(S(c, " Lily")));
  sgl_list_push(c, l, reinterpret_cast<uint64_t>(S(c, " Zqxv")));
  const sgl_str* pick;
  return sgl_select(c, "pick", l, static_cast<int32_t>(args[1]), &kLoc, &pick);
}
const std::vector<sgl_param> kSelectParams = {{"prompt", "s", nullptr}, {"method", "i", "0"}};

nlohmann::json run_json(const std::string& model, const sgl_module& m, std::vector<std::pair<std::string, std::string>> args,
                        std::string* err = nullptr) {
  RunOptions o;
  o.model = model;
  o.json = true;
  o.threads = 2;
  o.args = std::move(args);
  std::ostringstream out, e;
  int rc = run_module(m, o, out, e);
  if (err) *err = e.str();
  CHECK_MESSAGE(rc == 0, e.str());
  return nlohmann::json::parse(out.str(), nullptr, false);
}

}  // namespace

TEST_CASE("stories260K: a greedy gen equals cli_complete for the same prompt" * doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K.bin")) return;
  std::string model = model_path("stories260K/stories260K.bin");
  for (std::string prompt : {"Once upon a time", "The cat sat on the mat. Then"}) {
    CompleteOptions co;
    co.model = model;
    co.prompt = prompt;
    co.max_tokens = 40;
    co.threads = 2;
    std::ostringstream expected, cerr_;
    REQUIRE(cli_complete(co, expected, cerr_) == 0);
    nlohmann::json j = run_json(model, module(story_main, &kParams), {{"prompt", prompt}});
    CHECK(j["story"] == expected.str());
    CHECK(j["text"] == prompt + expected.str());
  }
}

TEST_CASE("stories260K: regex-constrained gens match their regex" * doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K.bin")) return;
  std::string model = model_path("stories260K/stories260K.bin");
  for (std::string re : {" (Lily|Tom|Ben)", "[0-9]+", " [a-z]+ [a-z]+\\."}) {
    INFO(re);
    nlohmann::json j = run_json(model, module(story_main, &kParams),
                                {{"prompt", "Once upon a time, there was a little girl named"}, {"regex", re}, {"max", "12"}});
    REQUIRE(j.contains("story"));
    CHECK(std::regex_match(j["story"].get<std::string>(), std::regex(re)));
  }
}

TEST_CASE("stories260K: select picks the likely name by every method" * doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K.bin")) return;
  std::string model = model_path("stories260K/stories260K.bin");
  for (int method : {SGL_SELECT_TOKEN_LENGTH_NORMALIZED, SGL_SELECT_GREEDY, SGL_SELECT_UNCONDITIONAL}) {
    INFO(method);
    nlohmann::json j = run_json(model, module(select_main, &kSelectParams),
                                {{"prompt", "Once upon a time, there was a little girl named"}, {"method", std::to_string(method)}});
    CHECK(j["pick"] == " Lily");
    CHECK(j["text"] == "Once upon a time, there was a little girl named Lily");
  }
}

TEST_CASE("stories260K: batched lines give the same text as single runs" * doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K.bin")) return;
  std::string model = model_path("stories260K/stories260K.bin");
  std::vector<std::string> prompts = {"Once upon a time", "Tom had a big red ball. One day", "The sun"};
  std::string path = "/tmp/sgl_model_batch_" + std::to_string(::getpid()) + ".jsonl";
  {
    std::ofstream f(path);
    for (const auto& p : prompts) f << nlohmann::json{{"prompt", p}, {"max", 30}}.dump() << "\n";
  }
  RunOptions o;
  o.model = model;
  o.batch_file = path;
  o.threads = 2;
  o.stats = true;
  std::ostringstream out, err;
  REQUIRE(run_module(module(story_main, &kParams), o, out, err) == 0);
  std::istringstream lines(out.str());
  std::string line;
  for (const auto& p : prompts) {
    REQUIRE(std::getline(lines, line));
    nlohmann::json single = run_json(model, module(story_main, &kParams), {{"prompt", p}, {"max", "30"}});
    CHECK(nlohmann::json::parse(line) == single);
  }
  // The three gens shared forward calls.
  nlohmann::json stats = nlohmann::json::parse(err.str());
  CHECK(stats["engine"]["max_batch_seqs"] == 3);
  std::remove(path.c_str());
}

TEST_CASE("random weights: constrained gen, select, batch and an empty-context error") {
  std::string model = "random:stories260K";
  nlohmann::json j = run_json(model, module(story_main, &kParams), {{"prompt", "Hello"}, {"regex", "(yes|no)"}, {"max", "8"}});
  CHECK((j["story"] == "yes" || j["story"] == "no"));
  nlohmann::json s = run_json(model, module(select_main, &kSelectParams), {{"prompt", "Hi"}, {"method", "2"}});
  CHECK((s["pick"] == " Lily" || s["pick"] == " Zqxv"));
  // max_tokens 0 generates nothing.
  nlohmann::json z = run_json(model, module(story_main, &kParams), {{"prompt", "Hello"}, {"max", "0"}});
  CHECK(z["story"] == "");
  // A prompt beyond the model's context fails that gen with a runtime error at its position.
  RunOptions o;
  o.model = model;
  o.args = {{"prompt", std::string(3000, 'x') + " " + std::string(3000, 'y')}};
  std::ostringstream out, err;
  CHECK(run_module(module(story_main, &kParams), o, out, err) == 1);
  CHECK(err.str().rfind("prog.sgl:3:5: runtime error: gen 'story': the prompt has ", 0) == 0);
}
