// Hostile and broken input: every case ends in a clear error (or a clean success), never a crash,
// a hang or a stack overflow.
#include <doctest/doctest.h>

#include <unistd.h>

#include "test_util.h"

namespace fs = std::filesystem;
using namespace sgl;

namespace {

std::vector<std::string> check_text(const std::string& text) {
  DiagnosticEngine diags;
  compile_source("in.sgl", text, diags);
  return test::describe(diags);
}

fs::path temp_file(const std::string& name, const std::string& content) {
  fs::path p = fs::temp_directory_path() / ("sgl_bad_input_" + std::to_string(getpid()) + "_" + name);
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

std::string wrap(const std::string& expr) { return "fn main() {\n  let x = " + expr + "\n}\n"; }

}  // namespace

TEST_CASE("an empty file is an error at 1:1") {
  CHECK(check_text("") == std::vector<std::string>{"1:1: error: the file is empty; a program needs at least fn main() { ... }"});
  CHECK(check_text("  \n\n\t") == std::vector<std::string>{"1:1: error: the file is empty; a program needs at least fn main() { ... }"});
}

TEST_CASE("a file that does not exist, or is a directory") {
  DiagnosticEngine diags;
  compile_file("/nonexistent/dir/prog.sgl", diags);
  CHECK(test::describe(diags) == std::vector<std::string>{"error: cannot open file: No such file or directory"});
  CHECK(diags.diagnostics()[0].path == "/nonexistent/dir/prog.sgl");
  DiagnosticEngine d2;
  compile_file(fs::temp_directory_path().string(), d2);
  CHECK(test::describe(d2) == std::vector<std::string>{"error: cannot read: it is a directory"});
}

TEST_CASE("a binary file is refused with the position of its first NUL byte") {
  std::string bin = "fn main() {}\n\x7f" "ELF";
  bin += std::string("\0\0\x01\x02", 4);
  CHECK(check_text(bin) == std::vector<std::string>{
                               "error: not a text file: it contains a NUL byte at line 2, column 5 (.sgl sources are UTF-8 text)"});
}

TEST_CASE("invalid UTF-8 is refused with its position") {
  CHECK(check_text("fn main() {\n  \"caf\xe9\"\n}\n") ==
        std::vector<std::string>{"error: invalid UTF-8 (byte 0xE9 at line 2, column 7); .sgl sources must be UTF-8"});
}

TEST_CASE("a 10 MB file is refused before it is read") {
  std::string big(10u << 20, ' ');
  big.replace(0, 13, "fn main() {}\n");
  fs::path p = temp_file("big.sgl", big);
  DiagnosticEngine diags;
  compile_file(p.string(), diags);
  fs::remove(p);
  CHECK(test::describe(diags) == std::vector<std::string>{"error: file is too large (10.0 MiB; sglc reads source files up to 8.0 MiB)"});
}

TEST_CASE("10,000 nested brackets stop at the nesting limit") {
  std::string open(10000, '('), close(10000, ')');
  auto d = check_text(wrap(open + "1" + close));
  REQUIRE(d.size() == 1);
  // The limit counts every open bracket: main's "{" plus 256 parentheses; the 256th "(" is at column 266.
  CHECK(d[0] == "2:266: error: brackets nested too deeply (more than 256 levels)");
  std::string lists(10000, '[');
  CHECK(check_text(wrap(lists)).size() == 1);
  std::string braces;
  for (int i = 0; i < 10000; ++i) braces += "if true {";
  CHECK(check_text("fn main() {\n" + braces + "\n}\n").at(0).find("brackets nested too deeply") != std::string::npos);
}

TEST_CASE("256 nested brackets are fine") {
  std::string open(255, '('), close(255, ')');
  CHECK(check_text(wrap(open + "1" + close)).empty());
}

TEST_CASE("long operator chains: accepted up to the limit, refused beyond it") {
  std::string chain = "1";
  for (int i = 0; i < 9000; ++i) chain += "+1";
  CHECK(check_text(wrap(chain)).empty());
  std::string unary(9000, '-');
  CHECK(check_text(wrap(unary + "1")).empty());
  std::string too_long = "1";
  for (int i = 0; i < 10001; ++i) too_long += "+1";
  auto d = check_text(wrap(too_long));
  REQUIRE(d.size() == 1);
  CHECK(d[0].find("error: statement too long (more than 10000 operators); split it into several statements") != std::string::npos);
}

TEST_CASE("a long else-if chain is checked, and refused past the limit") {
  std::string ok = "fn main() {\n  let x = 1\n  if x == 0 {}";
  for (int i = 0; i < 2000; ++i) ok += " else if x == " + std::to_string(i + 1) + " {}";
  CHECK(check_text(ok + "\n}\n").empty());
  std::string bad = "fn main() {\n  let x = 1\n  if x == 0 {}";
  for (int i = 0; i < 10001; ++i) bad += " else if true {}";
  auto d = check_text(bad + "\n}\n");
  REQUIRE(d.size() == 1);
  CHECK(d[0].find("too many 'else if' branches in one declaration (more than 10000)") != std::string::npos);
}

TEST_CASE("garbage never crashes and always reports an error") {
  uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
  const std::string alphabet = "fn main(){}[]\"'/\\*+-=<>!~.,:;?@#$ \n\tletifelseforgenselectforkspawn0123456789xyz\"{}r\"/";
  for (int round = 0; round < 300; ++round) {
    std::string text;
    int len = 1 + static_cast<int>(next() % 400);
    for (int i = 0; i < len; ++i) text += alphabet[next() % alphabet.size()];
    DiagnosticEngine diags;
    Compilation c = compile_source("g.sgl", text, diags);
    // Either it checks, or at least one error explains why not.
    CHECK((c.ok || diags.has_errors()));
  }
}

TEST_CASE("a file of only comments is not empty but has nothing to run") {
  DiagnosticEngine diags;
  FrontendOptions opts;
  opts.require_main = true;
  compile_source("c.sgl", "// nothing here\n/* still nothing */\n", diags, opts);
  CHECK(test::describe(diags) == std::vector<std::string>{"1:1: error: no 'main' function: sglc run starts a program at fn main() { ... }"});
}
