// Runs every .sgl file under tests/sgl/: `// expect error@COL: message` (or warning, or
// `@LINE:COL`) comments say which diagnostics the checker must report, at which position. Files
// in valid/ must check cleanly as complete programs. Every reported diagnostic must be expected.
#include <doctest/doctest.h>

#include <regex>

#include "test_util.h"

namespace fs = std::filesystem;
using namespace sgl;

namespace {

struct Expectation {
  std::string text;  // "line:col: severity: message"
  bool matched = false;
};

std::vector<Expectation> read_expectations(const std::string& source) {
  static const std::regex re(R"(// expect (error|warning)@(\d+)(?::(\d+))?: (.*?)\s*$)");
  std::vector<Expectation> out;
  std::istringstream in(source);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::smatch m;
    if (!std::regex_search(line, m, re)) continue;
    std::string l = m[3].matched ? m[2].str() : std::to_string(lineno);
    std::string c = m[3].matched ? m[3].str() : m[2].str();
    out.push_back({l + ":" + c + ": " + m[1].str() + ": " + m[4].str()});
  }
  return out;
}

// Checks one file; returns a failure description or "".
std::string run_file(const fs::path& path, bool must_be_program) {
  std::string text = test::read_file(path);
  std::vector<Expectation> expected = read_expectations(text);
  DiagnosticEngine diags;
  FrontendOptions opts;
  opts.require_main = must_be_program;
  Compilation c = compile_source(path.string(), text, diags, opts);
  std::vector<std::string> actual = test::describe(diags);
  std::vector<std::string> unexpected;
  for (const std::string& a : actual) {
    bool found = false;
    for (Expectation& e : expected) {
      if (!e.matched && e.text == a) {
        e.matched = found = true;
        break;
      }
    }
    if (!found) unexpected.push_back(a);
  }
  std::vector<std::string> missing;
  for (const Expectation& e : expected)
    if (!e.matched) missing.push_back(e.text);
  if (unexpected.empty() && missing.empty()) return "";
  std::string msg = path.string() + " (reproduce: build/bin/sglc check " + path.string() + ")\n";
  if (!missing.empty()) msg += " expected but not reported:\n" + test::joined(missing);
  if (!unexpected.empty()) msg += " reported but not expected:\n" + test::joined(unexpected);
  return msg;
}

}  // namespace

TEST_CASE("error cases report exactly the expected diagnostics") {
  auto files = test::files_with_ext(fs::path(SGL_SOURCE_DIR) / "tests/sgl/errors", ".sgl");
  CHECK(files.size() >= 60);
  int with_errors = 0;
  for (const fs::path& f : files) {
    std::string text = test::read_file(f);
    if (text.find("// expect error") != std::string::npos) ++with_errors;
    std::string failure = run_file(f, false);
    CHECK_MESSAGE(failure.empty(), failure);
  }
  CHECK(with_errors >= 60);
}

TEST_CASE("valid programs check with no diagnostics") {
  auto files = test::files_with_ext(fs::path(SGL_SOURCE_DIR) / "tests/sgl/valid", ".sgl");
  CHECK(files.size() >= 30);
  for (const fs::path& f : files) {
    std::string failure = run_file(f, true);
    CHECK_MESSAGE(failure.empty(), failure);
  }
}

TEST_CASE("examples and the standard library check with no diagnostics") {
  auto files = test::files_with_ext(fs::path(SGL_SOURCE_DIR) / "examples", ".sgl");
  CHECK(files.size() >= 1);
  for (const fs::path& f : files) {
    std::string failure = run_file(f, true);
    CHECK_MESSAGE(failure.empty(), failure);
  }
  for (const fs::path& f : test::files_with_ext(fs::path(SGL_SOURCE_DIR) / "stdlib", ".sgl")) {
    std::string failure = run_file(f, false);
    CHECK_MESSAGE(failure.empty(), failure);
  }
}

TEST_CASE("the expectation reader understands both position forms") {
  auto e = read_expectations("fn main() {\n  x // expect error@3: unknown name 'x'\n}\n// expect warning@7:2: w\n");
  REQUIRE(e.size() == 2);
  CHECK(e[0].text == "2:3: error: unknown name 'x'");
  CHECK(e[1].text == "7:2: warning: w");
}
