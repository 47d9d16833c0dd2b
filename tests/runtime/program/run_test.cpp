// run_module and add_run_options: main's arguments from --arg (pinned error texts), --batch
// (input order, failed lines, concurrency, the prefix prefill), and the command-line checks.
#include <doctest/doctest.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>

#include "engine_factory.h"
#include "progress_bar.h"
#include "program_test_util.h"

using namespace sgl;
using namespace sgl::test;

namespace {

const sgl_loc kLoc{"prog.sgl", 5, 3};

// fn main(name: str, times: int = 2, ratio: float = 0.5, loud: bool = false)
const std::vector<sgl_param> kParams = {
    {"name", "s", nullptr}, {"times", "i", "2"}, {"ratio", "f", "0.5"}, {"loud", "b", "false"}};

int32_t params_main(sgl_ctx* c, const uint64_t* args) {
  sgl_print_begin(c);
  sgl_print_value(c, "s", args[0]);
  sgl_print_value(c, "i", args[1]);
  sgl_print_value(c, "f", args[2]);
  sgl_print_value(c, "b", args[3]);
  sgl_print_end(c);
  return SGL_OK;
}

RunResult run_args(std::vector<std::pair<std::string, std::string>> args) {
  ScriptedBackend b;
  RunOptions o;
  o.args = std::move(args);
  return run(module(params_main, &kParams), b, o);
}

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = "/tmp/sgl_run_test_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("--arg values are parsed by main's parameter types; defaults fill the rest") {
  RunResult r = run_args({{"name", "Ada"}, {"ratio", "3"}, {"loud", "true"}});
  CHECK(r.rc == 0);
  CHECK(r.out == "Ada 2 3.0 true\n");
  CHECK(r.err == "");
}

TEST_CASE("--arg errors name the parameter and exit 2") {
  struct Row {
    std::vector<std::pair<std::string, std::string>> args;
    std::string err;
  };
  std::vector<Row> rows = {
      {{}, "error: missing --arg name=VALUE (main's parameter 'name' has no default)\n"},
      {{{"name", "a"}, {"times", "abc"}}, "error: --arg times=abc: 'abc' is not an int\n"},
      {{{"name", "a"}, {"ratio", "x1"}}, "error: --arg ratio=x1: 'x1' is not a float\n"},
      {{{"name", "a"}, {"loud", "yes"}}, "error: --arg loud=yes: 'yes' is not a bool (true or false)\n"},
      {{{"name", "a"}, {"nmae", "b"}}, "error: --arg nmae=b: main has no parameter 'nmae'\n"},
      {{{"name", "a"}, {"name", "b"}}, "error: --arg name is given twice\n"},
  };
  for (const Row& row : rows) {
    RunResult r = run_args(row.args);
    CHECK(r.rc == 2);
    CHECK(r.err == row.err);
    CHECK(r.out == "");
  }
}

TEST_CASE("add_run_options parses the shared run flags; --arg needs NAME=VALUE") {
  RunOptions o;
  CLI::App app("test");
  add_run_options(app, o);
  std::vector<std::string> argv = {"--model", "m.gguf", "--arg", "a=1", "--arg", "b=x=y", "--temperature", "0.5",
                                   "--max-tokens", "16", "--seed", "7", "--json", "--concurrency", "4",
                                   "--chat-template", "chatml", "--device", "cpu", "--threads", "2"};
  std::reverse(argv.begin(), argv.end());
  app.parse(argv);
  CHECK(o.model == "m.gguf");
  CHECK(o.args == std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "x=y"}});
  CHECK(o.temperature == 0.5);
  CHECK(o.max_tokens == 16);
  CHECK(o.seed == 7u);
  CHECK(o.json);
  CHECK(o.concurrency == 4);
  CHECK(o.chat_template == "chatml");
  CHECK(o.device == "cpu");
  CHECK(o.threads == 2);

  // Each --arg takes one value: a positional FILE after it is not swallowed.
  RunOptions o3;
  CLI::App app3("test");
  std::string file;
  app3.add_option("file", file)->required();
  add_run_options(app3, o3);
  std::vector<std::string> argv3 = {"--arg", "a=1", "prog.sgl", "--arg", "b=2"};
  std::reverse(argv3.begin(), argv3.end());
  app3.parse(argv3);
  CHECK(file == "prog.sgl");
  CHECK(o3.args.size() == 2);

  RunOptions o2;
  CLI::App app2("test");
  add_run_options(app2, o2);
  std::vector<std::string> bad = {"noequals", "--arg"};
  CHECK_THROWS_AS(app2.parse(bad), CLI::ValidationError);
}

TEST_CASE("run_module checks the module, the model and the device") {
  sgl_module m = module(params_main, &kParams);
  std::ostringstream out, err;
  RunOptions o;
  CHECK(run_module(m, o, out, err) == 2);
  CHECK(err.str() ==
        "error: a model is needed to run a program: pass --model PATH (a llama2.c .bin, a .gguf file, a Hugging Face "
        "folder, or random:LIKE for random weights)\n");
  // --device cuda goes to the CUDA engine; on a machine without a usable GPU (CI) it says why.
  DeviceKind kind;
  std::string why;
  if (!select_device("cuda", &kind, &why)) {
    std::ostringstream err2;
    o.model = "random:stories260K";
    o.device = "cuda";
    CHECK(run_module(m, o, out, err2) == 1);
    CHECK(err2.str() == "error: " + why + "\n");
    CHECK(why.rfind("--device cuda: ", 0) == 0);
    o.device = "auto";
  } else {
    MESSAGE("SKIPPED: the --device cuda error case (this machine has a GPU)");
  }
  std::ostringstream err3;
  m.abi_version = 99;
  ScriptedBackend b;
  CHECK(run_module(m, RunOptions{}, b, out, err3) == 1);
  CHECK(err3.str() == "error: the module was compiled for runtime ABI 99, this runtime has ABI 1\n");
}

namespace {

// fn main(q: str) { "Q: " q "\n"; gen a; if q == "bad" { int("bad") }; print(q) }
const std::vector<sgl_param> kBatchParams = {{"q", "s", nullptr}};

int32_t batch_main(sgl_ctx* c, const uint64_t* args) {
  const sgl_str* q = reinterpret_cast<const sgl_str*>(args[0]);
  append(c, "Q: " + V(q) + "\n");
  if (int32_t st = gen(c, "a", &kLoc); st) return st;
  if (V(q) == "bad") {
    int64_t n;
    return sgl_int_from_str(c, q, &kLoc, &n);
  }
  if (V(q) == "long") {  // a second gen: this line finishes after the others
    if (int32_t st = gen(c, "b", &kLoc); st) return st;
  }
  print_str(c, "printed " + V(q));
  return SGL_OK;
}

int32_t batch_prefix(sgl_ctx* c) {
  append(c, "Shared instructions.\n");
  return SGL_OK;
}

}  // namespace

TEST_CASE("--batch: one JSON line per input line in input order; a failed line does not stop the rest") {
  std::string path = write_temp("in.jsonl", "{\"q\": \"long\"}\n{\"q\": \"bad\"}\n\n{\"q\": \"ok\"}\n");
  ScriptedBackend b;
  b.per_step = 1;
  b.gen_fn = [](const Request& r) -> std::optional<std::string> { return "A(" + r.prompt.substr(r.prompt.size() - 3, 2) + ")"; };
  RunOptions o;
  o.batch_file = path;
  RunResult r = run(module(batch_main, &kBatchParams, batch_prefix), b, o);
  CHECK(r.rc == 1);
  CHECK(r.out ==
        "{\"a\":\"A(ng)\",\"b\":\"A(ng)\",\"text\":\"Q: long\\nA(ng)A(ng)\"}\n"
        "{\"error\":\"prog.sgl:5:3: runtime error: cannot convert \\\"bad\\\" to int\"}\n"
        "{\"a\":\"A(ok)\",\"text\":\"Q: ok\\nA(ok)\"}\n");
  // print output goes to stderr in batch mode (no progress bar: stderr is not a terminal here).
  CHECK(r.err == "printed ok\nprinted long\n");
  // The prefix was committed once, before any instance started.
  REQUIRE(!b.seen.empty());
  CHECK(b.seen[0].kind == RequestKind::Prefill);
  CHECK(b.seen[0].prompt == "Shared instructions.\n");
  CHECK(b.max_outstanding == 3);
  std::remove(path.c_str());
}

TEST_CASE("--batch --concurrency 1 runs one instance at a time; --stats writes JSON to stderr") {
  std::string path = write_temp("c1.jsonl", "{\"q\": \"x\"}\n{\"q\": \"y\"}\n");
  ScriptedBackend b;
  b.gen_queue("1").gen_queue("2");
  RunOptions o;
  o.batch_file = path;
  o.concurrency = 1;
  o.stats = true;
  RunResult r = run(module(batch_main, &kBatchParams), b, o);
  CHECK(r.rc == 0);
  CHECK(r.out == "{\"a\":\"1\",\"text\":\"Q: x\\n1\"}\n{\"a\":\"2\",\"text\":\"Q: y\\n2\"}\n");
  CHECK(b.max_outstanding == 1);
  CHECK(r.err ==
        "printed x\nprinted y\n"
        "{\"runtime\":{\"instances_trees\":2,\"instances\":2,\"gen_requests\":2,\"select_requests\":0,"
        "\"prefill_requests\":0},\"engine\":{\"scripted_requests\":2,\"steps\":2}}\n");
  std::remove(path.c_str());
}

TEST_CASE("--batch input errors name the line and exit 2 before anything runs") {
  struct Row {
    std::string text, err;
  };
  std::vector<Row> rows = {
      {"{\"q\": \"a\"}\nnot json\n", ":2: not a valid JSON line\n"},
      {"{\"q\": 3}\n", ":1: 'q' must be a str, got 3\n"},
      {"{\"x\": \"a\"}\n", ":1: main has no parameter 'x'\n"},
      {"{}\n", ":1: missing 'q' (main's parameter has no default)\n"},
      {"[1]\n", ":1: expected a JSON object with main's parameters as keys\n"},
  };
  for (const Row& row : rows) {
    std::string path = write_temp("bad.jsonl", row.text);
    ScriptedBackend b;
    RunOptions o;
    o.batch_file = path;
    RunResult r = run(module(batch_main, &kBatchParams), b, o);
    CHECK(r.rc == 2);
    CHECK(r.err == "error: " + path + row.err);
    CHECK(b.seen.empty());
    std::remove(path.c_str());
  }
  ScriptedBackend b;
  RunOptions o;
  o.batch_file = "/nonexistent/in.jsonl";
  RunResult r = run(module(batch_main, &kBatchParams), b, o);
  CHECK(r.rc == 2);
  CHECK(r.err == "error: cannot read /nonexistent/in.jsonl\n");
}

TEST_CASE("the batch progress line shows done/total, rate and ETA") {
  CHECK(ProgressBar::render(5, 10, 0, 2.0) == "[############------------] 5/10  2.5/s  ETA 0:02");
  CHECK(ProgressBar::render(0, 4, 0, 0.0) == "[------------------------] 0/4  0.0/s  ETA ?");
  CHECK(ProgressBar::render(4, 4, 1, 100.0) == "[########################] 4/4  0.0/s  ETA 0:00  1 failed");
}
