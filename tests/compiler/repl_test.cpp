// The REPL driven in process: a script of input lines on a stream, the scripted test backend as
// the model, and the session's stdout/stderr compared with what a user would see. Also the rule
// that keeps an input open over several lines.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

#include "repl/input.h"
#include "repl/repl.h"
#include "scripted_backend.h"

using namespace sgl;

namespace {

struct Transcript {
  std::string out, err;
  int status = -1;
};

Transcript run_script(const std::string& script, Backend& backend, bool has_model = true) {
  std::istringstream in(script);
  std::unique_ptr<repl::LineReader> reader = repl::stream_reader(in);
  repl::ReplOptions o;
  o.has_model = has_model;
  o.run.chat_template = "plain";
  std::ostringstream out, err;
  Transcript t;
  t.status = repl::run_repl(*reader, backend, o, out, err);
  t.out = out.str();
  t.err = err.str();
  return t;
}

Transcript run_script(const std::string& script) {
  test::ScriptedBackend backend;
  return run_script(script, backend);
}

}  // namespace

TEST_CASE("definitions persist and statements run at once") {
  Transcript t = run_script(
      "fn double(x: int) -> int {\n"
      "    return x * 2\n"
      "}\n"
      "print(double(21))\n"
      "schema Pair { left: int, right: int }\n"
      "enum Mood { happy, sad }\n"
      "print(double(2), Mood.sad)\n");
  CHECK(t.err == "");
  CHECK(t.out == "42\n4 sad\n");
  CHECK(t.status == 0);
}

TEST_CASE("variables from let and gen stay readable; :vars and :text show them") {
  test::ScriptedBackend backend;
  backend.gen_named("city", "Paris");
  Transcript t = run_script(
      "let xs = [1, 2]\n"
      "xs += [3]\n"
      "user \"Capital of France?\"\n"
      "assistant { gen city }\n"
      "print(len(xs), xs, city)\n"
      ":vars\n"
      ":text\n",
      backend);
  CHECK(t.err == "");
  // The stream is shown as it is written (the plain template), then print, :vars and :text.
  CHECK(t.out ==
        "User: Capital of France?\n"
        "Assistant: Paris\n"
        "3 [1, 2, 3] Paris\n"
        "xs: list[int] = [1, 2, 3]\n"
        "city: str = \"Paris\"\n"
        "User: Capital of France?\n"
        "Assistant: Paris\n");
  // Both statements that touched the model saw one accumulated prompt.
  REQUIRE(backend.seen.size() == 1);
  CHECK(backend.seen[0].prompt == "User: Capital of France?\nAssistant: ");
}

TEST_CASE("a compile error is reported against its input and the session goes on") {
  Transcript t = run_script(
      "let n = 5\n"
      "print(n + undefined_name)\n"
      "print(n + 1)\n");
  CHECK(t.err.find("<input 2>:1:11: error: unknown name 'undefined_name'") == 0);
  CHECK(t.out == "6\n");
  CHECK(t.status == 0);
}

TEST_CASE("an error in a later line of a multi-line input points at that line") {
  Transcript t = run_script(
      "if true {\n"
      "    print(1)\n"
      "    print(nope)\n"
      "}\n");
  CHECK(t.err.find("<input 1>:3:11: error: unknown name 'nope'") == 0);
  CHECK(t.out == "");
}

TEST_CASE("a runtime error stops the input, keeps the variables of before it, and the session goes on") {
  Transcript t = run_script(
      "let a = 1\n"
      "a = 5\n"
      "print(a)\n"
      "a = 7; let b = int(\"zz\")\n"
      "print(a)\n");
  CHECK(t.err.rfind("<input 4>:1:16: runtime error: cannot convert \"zz\" to int\n", 0) == 0);
  // a = 7 ran before the error, but a failed input changes no variable.
  CHECK(t.out == "5\n5\n");
}

TEST_CASE("multi-line input while a bracket or a triple-quoted string is open") {
  Transcript t = run_script(
      "let total = 0\n"
      "for i in range(4) {\n"
      "    total += i\n"
      "}\n"
      "let words = [\n"
      "    \"a\",\n"
      "    \"b\",\n"
      "]\n"
      "let s = \"\"\"one\n"
      "two\"\"\"\n"
      "print(total, join(words, \"+\"), len(split(s, \"\\n\")))\n");
  CHECK(t.err == "");
  CHECK(t.out == "6 a+b 2\n");
}

TEST_CASE("an else on the line after an if block belongs to that if") {
  Transcript t = run_script(
      "let x = 2\n"
      "if x == 1 {\n"
      "    print(\"one\")\n"
      "}\n"
      "else if x == 2 {\n"
      "    print(\"two\")\n"
      "}\n"
      "else {\n"
      "    print(\"other\")\n"
      "}\n"
      "print(\"after\")\n"
      // An if followed by anything but else: both run, in order; a blank line ends it too.
      "if x > 1 { print(\"big\") }\n"
      "print(\"next\")\n"
      "if x > 5 { print(\"huge\") }\n"
      "\n"
      "print(\"end\")\n");
  CHECK(t.err == "");
  CHECK(t.out == "two\nafter\nbig\nnext\nend\n");
}

TEST_CASE("a let of an existing name rebinds it, with a new type if it likes") {
  Transcript t = run_script(
      "let x = 1\n"
      "let x = \"one\" + str(x)\n"
      "print(x + \"!\")\n"
      ":vars\n");
  CHECK(t.err == "");
  CHECK(t.out == "one1!\nx: str = \"one1\"\n");
}

TEST_CASE("a redefined function replaces the old one for later inputs") {
  Transcript t = run_script(
      "fn f() -> int { return 1 }\n"
      "print(f())\n"
      "fn f() -> int { return 2 }\n"
      "print(f())\n");
  CHECK(t.err == "");
  CHECK(t.out == "1\n2\n");
}

TEST_CASE("fork results and branch variables persist across inputs") {
  test::ScriptedBackend backend;
  backend.gen_queue("A").gen_queue("B");
  Transcript t = run_script(
      "let names = fork 2 {\n"
      "    gen name(stop: \"\\n\")\n"
      "}\n"
      "print(join(names.name, \"|\"), names[1].name)\n",
      backend);
  CHECK(t.err == "");
  CHECK(t.out == "A|B B\n");
}

TEST_CASE(":reset starts a new session") {
  Transcript t = run_script(
      "fn g() -> int { return 3 }\n"
      "let kept = 1\n"
      "\"some text\"\n"
      ":reset\n"
      "print(kept)\n"
      "print(g())\n"
      ":text\n"
      ":vars\n");
  CHECK(t.out == "some text\n(new session)\n(the stream is empty)\n(no variables)\n");
  // Input numbers start again at 1 in the new session.
  CHECK(t.err.find("<input 1>:1:7: error: unknown name 'kept'") == 0);
  CHECK(t.err.find("<input 2>:1:7: error: unknown function 'g'") != std::string::npos);
}

TEST_CASE(":load adds a file's declarations; its main runs only when called") {
  auto path = std::filesystem::temp_directory_path() / "sgl_repl_load_test.sgl";
  {
    std::ofstream f(path);
    f << "fn greet(n: str) -> str {\n    return \"hi \" + n\n}\n\nfn main() {\n    print(greet(\"main\"))\n}\n";
  }
  Transcript t = run_script(":load " + path.string() + "\nprint(greet(\"x\"))\nmain()\n:load /nonexistent/x.sgl\n");
  CHECK(t.out == "loaded " + path.string() + "\nhi x\nhi main\n");
  CHECK(t.err == "error: cannot read /nonexistent/x.sgl: No such file or directory\n");
  std::filesystem::remove(path);
}

TEST_CASE("an error in a :load file names the file and its own lines") {
  auto path = std::filesystem::temp_directory_path() / "sgl_repl_bad_load.sgl";
  {
    std::ofstream f(path);
    f << "fn ok() {}\n\nfn bad() -> int {\n    return \"x\"\n}\n";
  }
  Transcript t = run_script(":load " + path.string() + "\nok()\n");
  CHECK(t.err.find(path.string() + ":4:12: error: ") == 0);
  // Nothing of the file was kept.
  CHECK(t.err.find("<input 1>:1:1: error: unknown function 'ok'") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("commands: :help, :ir, unknown commands, :quit") {
  Transcript t = run_script(
      ":help\n"
      "print(1 + 2)\n"
      ":ir\n"
      ":frobnicate\n"
      ":quit\n"
      "print(\"never\")\n");
  CHECK(t.out.find(":load FILE") != std::string::npos);
  CHECK(t.out.find("3\n") != std::string::npos);
  // The IR of the statement input: its function takes the session's environment.
  CHECK(t.out.find("fn __repl_input(%0 env: env) main {") != std::string::npos);
  CHECK(t.out.find("never") == std::string::npos);
  CHECK(t.err == "error: unknown command ':frobnicate'; :help lists the commands\n");
}

TEST_CASE("return is refused at the top level") {
  Transcript t = run_script("print(1)\nreturn\nprint(2)\n");
  CHECK(t.err.find("<input 2>:1:1: error: 'return' cannot be used at the top level of the REPL (only inside a fn)") == 0);
  CHECK(t.out == "1\n2\n");
}

TEST_CASE("without a model: code that needs none runs, gen stops with sglc run's message") {
  std::unique_ptr<Backend> none = repl::no_model_backend();
  Transcript t = run_script("print(1 + 2)\ngen x\nprint(\"still here\")\n", *none, false);
  CHECK(t.out == "3\nstill here\n");
  CHECK(t.err == std::string("note: no --model: code that calls the model stops with \"") + repl::kModelNeeded + "\"\n" +
                     "<input 2>:1:1: runtime error: gen 'x': " + repl::kModelNeeded + "\n");
}

TEST_CASE("input_complete: brackets, strings, comments and regexes") {
  using repl::input_complete;
  CHECK(input_complete("print(1)"));
  CHECK_FALSE(input_complete("fn f() {"));
  CHECK_FALSE(input_complete("let xs = [1,"));
  CHECK(input_complete("let s = \"{ not a bracket\""));
  CHECK(input_complete("let s = \"unterminated"));  // a "..." string ends with its line
  CHECK(input_complete("let s = \"{join(xs, \", \")}\""));
  CHECK_FALSE(input_complete("let s = \"\"\"open"));
  CHECK(input_complete("let s = \"\"\"a\n(b\"\"\""));
  CHECK_FALSE(input_complete("let p = r\"C:\\"));
  CHECK(input_complete("// a comment with ( and {"));
  CHECK_FALSE(input_complete("/* open ( "));
  CHECK(input_complete("let ok = \"(\" ~ /\\(/"));
  CHECK(input_complete("let half = (10 / 2)"));
  CHECK(input_complete("gen x(regex: /[(]+/)"));
}

// ------------------------------------------------------------------ the sglc binary

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `sglc ARGS` with `input` on stdin; returns the exit status, stdout and stderr.
Transcript run_sglc(const std::string& args, const std::string& input) {
  auto dir = std::filesystem::temp_directory_path() / ("sgl_repl_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "in.txt") << input;
  }
  std::string cmd = std::string(SGLC_PATH) + " " + args + " < " + (dir / "in.txt").string() + " > " +
                    (dir / "out.txt").string() + " 2> " + (dir / "err.txt").string();
  Transcript t;
  int rc = std::system(cmd.c_str());
  t.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  t.out = slurp(dir / "out.txt");
  t.err = slurp(dir / "err.txt");
  std::filesystem::remove_all(dir);
  return t;
}

}  // namespace

TEST_CASE("sglc repl on a script: no prompts, definitions, errors, and sglc run's no-model message") {
  Transcript t = run_sglc("repl --color=never",
                          "fn sq(x: int) -> int {\n    return x * x\n}\nprint(sq(7))\nprint(nope)\ngen x\nlet y = sq(3)\n:vars\n");
  CHECK(t.status == 0);
  // Nothing but program and command output on stdout: a script's output is deterministic.
  CHECK(t.out == "49\ny: int = 9\n");
  CHECK(t.err.find("<input 3>:1:7: error: unknown name 'nope'") != std::string::npos);
  CHECK(t.err.find("<input 4>:1:1: runtime error: gen 'x': a model is needed to run a program") != std::string::npos);

  // The words are sglc run's own (compared with a real run, not with a copy of the text).
  auto prog = std::filesystem::temp_directory_path() / ("sgl_repl_run_" + std::to_string(::getpid()) + ".sgl");
  std::ofstream(prog) << "fn main() {\n    gen x\n}\n";
  Transcript run = run_sglc("run " + prog.string(), "");
  std::filesystem::remove(prog);
  CHECK(run.status == 2);
  REQUIRE(run.err.rfind("error: ", 0) == 0);
  std::string message = run.err.substr(7, run.err.find('\n') - 7);
  CHECK(message == repl::kModelNeeded);
  CHECK(t.err.find(message) != std::string::npos);
}
