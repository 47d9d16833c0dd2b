// docs/language.md must match the parser: every ```sgl block checks (a block without `fn ` is
// a statement snippet, checked inside fn main), every ```sgl-error block fails.
#include <doctest/doctest.h>

#include "test_util.h"

namespace fs = std::filesystem;
using namespace sgl;

TEST_CASE("every code example in docs/language.md behaves as the doc says") {
  fs::path doc = fs::path(SGL_SOURCE_DIR) / "docs/language.md";
  REQUIRE_MESSAGE(fs::exists(doc), "docs/language.md is missing");
  std::istringstream in(test::read_file(doc));
  std::string line, fence, block;
  int lineno = 0, block_line = 0, good = 0, bad = 0;
  bool inside = false;
  while (std::getline(in, line)) {
    ++lineno;
    if (!inside && (line == "```sgl" || line == "```sgl-error")) {
      inside = true;
      fence = line;
      block.clear();
      block_line = lineno + 1;
      continue;
    }
    if (inside && line == "```") {
      inside = false;
      std::string text = block.find("fn ") != std::string::npos ? block : "fn main() {\n" + block + "}\n";
      DiagnosticEngine diags;
      compile_source("docs/language.md:" + std::to_string(block_line), text, diags);
      std::string loc = "docs/language.md block at line " + std::to_string(block_line);
      if (fence == "```sgl") {
        ++good;
        CHECK_MESSAGE(!diags.has_errors(), (loc + " should check but reports:\n" + test::joined(test::describe(diags))));
      } else {
        ++bad;
        CHECK_MESSAGE(diags.has_errors(), (loc + " is marked sgl-error but checks cleanly"));
      }
      continue;
    }
    if (inside) block += line + "\n";
  }
  CHECK(good >= 20);
  CHECK(bad >= 1);
}
