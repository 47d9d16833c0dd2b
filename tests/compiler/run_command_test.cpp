// The `sglc run` and `sglc build` command lines around the back end: compile errors print
// diagnostics and exit 1 before anything runs; --emit=ir and --emit=llvm print the program.
#include <doctest/doctest.h>

#include <cstdio>
#include <unistd.h>

#include "test_util.h"

namespace fs = std::filesystem;

namespace {

struct Run {
  int rc;
  std::string out;  // stdout and stderr together
};

Run sglc(const std::string& args) {
  std::string cmd = std::string(SGLC_PATH) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

fs::path write(const std::string& name, const std::string& text) {
  fs::path dir = fs::temp_directory_path() / ("sgl_run_cmd_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / name) << text;
  return dir / name;
}

}  // namespace

TEST_CASE("sglc run prints diagnostics and exits 1 on compile errors, before asking for a model") {
  fs::path f = write("bad.sgl", "fn main() {\n  let x: int = \"s\"\n}\n");
  Run r = sglc("run " + f.string());
  CHECK(r.rc == 1);
  CHECK(r.out.find("bad.sgl:2:16: error: cannot initialise 'x' of type int with a str") != std::string::npos);
  Run nomain = sglc("run " + write("lib.sgl", "fn f() {\n}\n").string());
  CHECK(nomain.rc == 1);
  CHECK(nomain.out.find("error: no 'main' function") != std::string::npos);
}

TEST_CASE("sglc run --emit=ir and --emit=llvm print the compiled program") {
  fs::path f = write("ok.sgl", "fn main(n: int = 2) {\n  print(n * 2)\n}\n");
  Run ir = sglc("run " + f.string() + " --emit=ir");
  CHECK(ir.rc == 0);
  CHECK(ir.out.rfind("; sgl ir: " + f.string() + "\n", 0) == 0);
  CHECK(ir.out.find("fn main(%0 n: int) main {") != std::string::npos);
  Run ll = sglc("run " + f.string() + " --emit=llvm");
  CHECK(ll.rc == 0);
  CHECK(ll.out.find("@sgl_program = ") != std::string::npos);
  CHECK(ll.out.find("declare void @sgl_print_value(") != std::string::npos);
  Run bad = sglc("run " + f.string() + " --emit=asm");
  CHECK(bad.rc == 2);
}

TEST_CASE("sglc run without a model says one is needed") {
  fs::path f = write("m.sgl", "fn main() {\n  print(1)\n}\n");
  Run r = sglc("run " + f.string());
  CHECK(r.rc == 2);
  CHECK(r.out.find("a model is needed to run a program") != std::string::npos);
}
