// Programs through run_module on the real model backend, which serves them with runtime/serve's
// scheduler: greedy outputs are identical with the radix cache on and off, with and without
// chunked prefill, with pages, under every schedule policy, across forced retraction (a tiny
// --max-total-tokens), and batched vs alone; fork branches find the fork's prefix cached;
// streaming shows the same text. stories260K (label `model`): skips with a message when
// ../shared/models is absent. (The flags' parsing and errors: serving_flags_test.cpp.)
#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "model_backend.h"
#include "program_test_util.h"
#include "../test_models.h"

using namespace sgl;
using namespace sgl::test;

namespace {

const sgl_loc kLoc{"prog.sgl", 4, 3};
const char* kSystem =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her "
    "friends. One day, she saw a big red ball under a tree. ";

int32_t gen_max(sgl_ctx* c, const char* name, int64_t max) {
  sgl_gen_opts* o = sgl_gen_opts_new(c, name);
  sgl_gen_set_int(o, SGL_OPT_MAX_TOKENS, max);
  uint64_t out;
  return sgl_gen(c, o, "s", &kLoc, &out);
}

int32_t idea_branch(sgl_ctx* c, void*, int64_t index, uint64_t) {
  append(c, " Idea " + std::to_string(index) + ":");
  return gen_max(c, "idea", 10);
}

int32_t system_prefix(sgl_ctx* c) {
  append(c, kSystem);
  return SGL_OK;
}

// fn main(q: str, method: int = 0) {
//   <kSystem> q gen a(max_tokens: 14) " She felt" select pick([" happy", " sad", " big"], method)
//   fork 2 { " Idea {i}:" gen idea(max_tokens: 10) }  " So" gen final(max_tokens: 12)
// }
// Every kind of request, with shared prefixes at three levels (system prompt, fork, select).
int32_t mixed_main(sgl_ctx* c, const uint64_t* args) {
  append(c, kSystem);
  sgl_append(c, reinterpret_cast<const sgl_str*>(args[0]));
  if (int32_t st = gen_max(c, "a", 14); st) return st;
  append(c, " She felt");
  sgl_list* l = sgl_list_new(c, "s", 3);
  for (const char* ch : {" happy", " sad", " big"}) sgl_list_push(c, l, reinterpret_cast<uint64_t>(S(c, ch)));
  const sgl_str* pick;
  if (int32_t st = sgl_select(c, "pick", l, static_cast<int32_t>(args[1]), &kLoc, &pick); st) return st;
  sgl_fork* f = nullptr;
  if (int32_t st = sgl_fork_begin(c, 2, &kLoc, &f); st) return st;
  for (int64_t i = 0; i < 2; ++i) sgl_fork_start(c, f, i, idea_branch, nullptr, 0);
  sgl_list* branches = nullptr;
  if (int32_t st = sgl_fork_join(c, f, &kLoc, &branches); st) return st;
  sgl_list* ideas = nullptr;
  if (int32_t st = sgl_branches_var(c, branches, "idea", "s", &kLoc, &ideas); st) return st;
  sgl_append(c, sgl_join(c, ideas, S(c, ";")));
  append(c, " So");
  return gen_max(c, "final", 12);
}
const std::vector<sgl_param> kParams = {{"q", "s", nullptr}, {"method", "i", "0"}};
const std::vector<std::pair<std::string, int>> kLines = {
    {"Lily ran to the ball.", 0}, {"Lily did not see her mom.", 1}, {"The ball was very big.", 2}, {"Tom came.", 0}};

// What the backend finished, as the program saw it.
struct Seen {
  RequestKind kind;
  std::string name, prompt, error;
  int64_t prompt_tokens, cached_tokens;
};

// Forwards to the real backend and records every finished request.
class Recorder : public Backend {
 public:
  explicit Recorder(std::unique_ptr<Backend> b) : b_(std::move(b)) {}
  void submit(Request* r) override { b_->submit(r); }
  void step(std::vector<Request*>& done) override {
    size_t k = done.size();
    b_->step(done);
    for (size_t i = k; i < done.size(); ++i) {
      const Request& r = *done[i];
      seen.push_back({r.kind, r.name, r.prompt, r.error, r.prompt_tokens, r.cached_tokens});
    }
  }
  std::string chat_template_source() const override { return b_->chat_template_source(); }
  bool has_special_token(std::string_view t) const override { return b_->has_special_token(t); }
  std::string stats_json() const override { return b_->stats_json(); }
  std::vector<Seen> seen;

 private:
  std::unique_ptr<Backend> b_;
};

struct Result {
  int rc = -1;
  std::vector<std::string> lines;  // stdout lines
  nlohmann::json stats;            // the --stats object (stderr's last line)
  std::vector<Seen> seen;
  std::string err;
};

// Runs mixed_main with `o` (model, threads, stats filled in) through model_backend_options, as
// `sglc run` does, with scheduler invariants checked after every step.
Result run_mixed(RunOptions o) {
  o.model = model_path("stories260K/stories260K.bin");
  o.threads = 2;
  o.stats = true;
  ModelBackendOptions bo;
  std::string why;
  REQUIRE_MESSAGE(model_backend_options(o, &bo, &why), why);
  bo.sched.check_invariants = true;
  Recorder rec(make_model_backend(o.model, bo));
  std::ostringstream out, err;
  Result r;
  r.rc = run_module(module(mixed_main, &kParams, system_prefix), o, rec, out, err);
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) r.lines.push_back(line);
  r.err = err.str();
  std::string last = r.err.substr(r.err.rfind('\n', r.err.size() - 2) + 1);
  r.stats = nlohmann::json::parse(last, nullptr, false);
  r.seen = std::move(rec.seen);
  return r;
}

std::string batch_file() {
  std::string path = "/tmp/sgl_serving_test_" + std::to_string(::getpid()) + ".jsonl";
  std::ofstream f(path);
  for (const auto& [q, m] : kLines) f << nlohmann::json{{"q", q}, {"method", m}}.dump() << "\n";
  return path;
}

}  // namespace

TEST_CASE("stories260K: programs give identical greedy output in every serving configuration" *
          doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K.bin")) return;
  const std::string path = batch_file();
  RunOptions base;
  base.batch_file = path;
  Result ref = run_mixed(base);
  REQUIRE_MESSAGE(ref.rc == 0, ref.err);
  REQUIRE(ref.lines.size() == kLines.size());
  for (const std::string& l : ref.lines) {
    // Every line ran every request kind and no line failed.
    nlohmann::json j = nlohmann::json::parse(l);
    CHECK_FALSE(j.contains("error"));
    CHECK(j.contains("final"));
  }
  const nlohmann::json& es = ref.stats["engine"];
  CHECK(es["reused_tokens"].get<int64_t>() > 0);
  CHECK(es["cache_hit_rate"].get<double>() > 0.3);  // the system prompt alone is most of every prompt
  CHECK(es["radix_cache"] == true);

  // Fork branches find the fork's prefix cached: at least everything but the boundary token of
  // the prefill that fork_begin committed (a branch's own text can merge with its last token).
  int branches = 0;
  for (const Seen& s : ref.seen) {
    if (s.kind != RequestKind::Gen || s.name != "idea") continue;
    const Seen* prefill = nullptr;
    for (const Seen& p : ref.seen)
      if (p.kind == RequestKind::Prefill && s.prompt.rfind(p.prompt, 0) == 0 &&
          (!prefill || p.prompt.size() > prefill->prompt.size()))
        prefill = &p;
    REQUIRE(prefill);
    CAPTURE(s.prompt);
    CHECK(s.cached_tokens > 0);
    CHECK(s.cached_tokens >= prefill->prompt_tokens - 1);
    ++branches;
  }
  CHECK(branches == 2 * static_cast<int>(kLines.size()));

  struct Config {
    std::string name;
    std::function<void(RunOptions&)> edit;
  };
  std::vector<Config> configs = {
      {"--disable-radix-cache", [](RunOptions& o) { o.disable_radix_cache = true; }},
      {"--chunked-prefill-size 16", [](RunOptions& o) { o.chunked_prefill_size = 16; }},
      {"no chunking (-1)", [](RunOptions& o) { o.chunked_prefill_size = -1; }},
      {"no radix, chunked 7",
       [](RunOptions& o) {
         o.disable_radix_cache = true;
         o.chunked_prefill_size = 7;
       }},
      {"--page-size 4", [](RunOptions& o) { o.page_size = 4; }},
      {"fcfs", [](RunOptions& o) { o.schedule_policy = "fcfs"; }},
      {"dfs-weight, chunked 32",
       [](RunOptions& o) {
         o.schedule_policy = "dfs-weight";
         o.chunked_prefill_size = 32;
       }},
      {"one running request", [](RunOptions& o) { o.max_running_requests = 1; }},
      {"--concurrency 1", [](RunOptions& o) { o.concurrency = 1; }},
      // Too small for every line at once: requests are retracted mid-decode and come back (the
      // sizes are tuned so that both do retract; the longest prompt is about 180 tokens).
      {"--max-total-tokens 260", [](RunOptions& o) { o.max_total_tokens = 260; }},
      {"--max-total-tokens 200, no radix",
       [](RunOptions& o) {
         o.max_total_tokens = 200;
         o.disable_radix_cache = true;
       }},
  };
  for (const Config& cfg : configs) {
    CAPTURE(cfg.name);
    RunOptions o = base;
    cfg.edit(o);
    Result r = run_mixed(o);
    REQUIRE_MESSAGE(r.rc == 0, r.err);
    CHECK(r.lines == ref.lines);
    const nlohmann::json& s = r.stats["engine"];
    CAPTURE(s.dump());
    if (o.disable_radix_cache) {
      CHECK(s["reused_tokens"] == 0);
      for (const Seen& x : r.seen) CHECK(x.cached_tokens == 0);
    } else {
      CHECK(s["reused_tokens"].get<int64_t>() > 0);
    }
    if (o.max_total_tokens > 0) {
      CHECK(s["kv_capacity_tokens"] == o.max_total_tokens);
      CHECK(s["retractions"].get<int64_t>() > 0);
    }
  }

  // Batched vs alone: each line run by itself (--json, and streamed) gives the same result.
  for (size_t i = 0; i < kLines.size(); ++i) {
    RunOptions o;
    o.args = {{"q", kLines[i].first}, {"method", std::to_string(kLines[i].second)}};
    o.json = true;
    Result single = run_mixed(o);
    REQUIRE(single.rc == 0);
    REQUIRE(single.lines.size() == 1);
    CHECK(single.lines[0] == ref.lines[i]);
    // Streaming writes the same text piece by piece (and a final newline).
    o.json = false;
    Result streamed = run_mixed(o);
    REQUIRE(streamed.rc == 0);
    std::string text = nlohmann::json::parse(ref.lines[i])["text"];
    std::string joined;
    for (const std::string& l : streamed.lines) joined += l + "\n";
    CHECK(joined == text + "\n");
  }
  std::remove(path.c_str());
}

TEST_CASE("random weights: max_tokens 0 and fork prefixes are prefills that later requests reuse") {
  // fn main() { <kSystem> gen a(max_tokens: 0) gen b(max_tokens: 3) }
  auto prog = [](sgl_ctx* c, const uint64_t*) -> int32_t {
    append(c, kSystem);
    if (int32_t st = gen_max(c, "a", 0); st) return st;
    return gen_max(c, "b", 3);
  };
  ModelBackendOptions bo;
  bo.threads = 2;
  bo.sched.check_invariants = true;
  Recorder rec(make_model_backend("random:stories260K", bo));
  RunOptions o;
  o.json = true;
  std::ostringstream out, err;
  REQUIRE(run_module(module(prog), o, rec, out, err) == 0);
  REQUIRE(rec.seen.size() == 2);
  CHECK(rec.seen[0].cached_tokens == 0);
  // b's prompt is a's: everything but its last token (which must be computed for logits) cached.
  CHECK(rec.seen[1].prompt == rec.seen[0].prompt);
  CHECK(rec.seen[1].cached_tokens == rec.seen[0].prompt_tokens - 1);
  CHECK(nlohmann::json::parse(out.str())["a"] == "");
}
