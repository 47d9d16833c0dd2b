// The sglc binary as a user meets it: exit codes, and the diagnostic format on stderr
// (file:line:col: error: message, the source line, a caret under the span).
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "test_util.h"

namespace fs = std::filesystem;

namespace {

struct Run {
  int status;
  std::string out;
};

Run run(const std::string& args) {
  std::string cmd = std::string(SGLC_PATH) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  Run r{-1, ""};
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

fs::path write(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / ("sglc_cli_" + std::to_string(getpid()) + "_" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

}  // namespace

TEST_CASE("check: exit 0 on a good file, 1 with a caret diagnostic on a bad one") {
  fs::path good = write("good.sgl", "fn main() {\n  print(\"hi\")\n}\n");
  Run r = run("check " + good.string());
  CHECK(r.status == 0);
  CHECK(r.out.empty());

  fs::path bad = write("bad.sgl", "fn main() {\n  print(nmae)\n}\n");
  r = run("check --color=never " + bad.string());
  CHECK(r.status == 1);
  CHECK(r.out == bad.string() + ":2:9: error: unknown name 'nmae'\n  print(nmae)\n        ^~~~\n");
  fs::remove(good);
  fs::remove(bad);
}

TEST_CASE("check reports several errors in one run, and warnings alone do not fail") {
  fs::path f = write("multi.sgl", "fn main() {\n  let a: int = \"x\"\n  print(b)\n}\n");
  Run r = run("check --color=never " + f.string());
  CHECK(r.status == 1);
  CHECK(r.out.find(":2:16: error: cannot initialise 'a' of type int with a str") != std::string::npos);
  CHECK(r.out.find(":3:9: error: unknown name 'b'") != std::string::npos);
  fs::path w = write("warn.sgl", "fn main() {\n  return\n  print(1)\n}\n");
  r = run("check --color=never " + w.string());
  CHECK(r.status == 0);
  CHECK(r.out.find(":3:3: warning: unreachable code") != std::string::npos);
  fs::remove(f);
  fs::remove(w);
}

TEST_CASE("check of a missing file names it and exits 1") {
  Run r = run("check --color=never /nonexistent.sgl");
  CHECK(r.status == 1);
  CHECK(r.out == "/nonexistent.sgl: error: cannot open file: No such file or directory\n");
}

TEST_CASE("run --emit=ast prints the checked AST; run without main is an error") {
  fs::path f = write("ast.sgl", "fn main() {\n  \"Hello\"\n}\n");
  Run r = run("run " + f.string() + " --emit=ast");
  CHECK(r.status == 0);
  CHECK(r.out == "(module main\n  (fn main ()\n    (block\n      (append (str \"Hello\" : str))\n    )\n  )\n)\n");
  fs::path nomain = write("nomain.sgl", "fn helper() {}\n");
  r = run("run --color=never " + nomain.string() + " --emit=ast");
  CHECK(r.status == 1);
  CHECK(r.out.find("1:1: error: no 'main' function") != std::string::npos);
  fs::remove(f);
  fs::remove(nomain);
}

TEST_CASE("--version and --help answer; a bad command line exits 2") {
  Run r = run("--version");
  CHECK(r.status == 0);
  CHECK(r.out.rfind("sglc ", 0) == 0);
  CHECK(r.out.find("CPU: ") != std::string::npos);
  r = run("--help");
  CHECK(r.status == 0);
  CHECK(r.out.find("check") != std::string::npos);
  CHECK(run("").status == 2);
  CHECK(run("check").status == 2);
  CHECK(run("frobnicate").status == 2);
}
