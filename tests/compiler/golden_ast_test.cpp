// Golden AST dumps: `sglc run examples/X.sgl --emit=ast` must print tests/golden/ast/X.ast.
// Regenerate after an intended change with `build/bin/compiler_golden_test --update` and
// review the diff.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "ast_printer.h"
#include "golden.h"

namespace fs = std::filesystem;
using namespace sgl;

TEST_CASE("every example has a matching golden AST dump") {
  fs::path examples = fs::path(SGL_SOURCE_DIR) / "examples";
  fs::path golden = fs::path(SGL_SOURCE_DIR) / "tests/golden/ast";
  auto files = test::files_with_ext(examples, ".sgl");
  REQUIRE(!files.empty());
  for (const fs::path& f : files) {
    DiagnosticEngine diags;
    FrontendOptions opts;
    opts.require_main = true;
    Compilation c = compile_file(f.string(), diags, opts);
    REQUIRE_MESSAGE(c.ok, (f.string() + " does not check:\n" + test::joined(test::describe(diags))));
    std::ostringstream out;
    print_ast(*c.module, out);
    test::check_golden(golden / (f.stem().string() + ".ast"), out.str(), f, "compiler_golden_test");
  }
  test::check_no_stale_golden(golden, ".ast", examples);
}

TEST_CASE("the AST printer is stable: printing twice gives the same text") {
  DiagnosticEngine diags;
  Compilation c = compile_source("t.sgl", "fn main() {\n  let xs = [1, 2]\n  print(xs[0] + 1)\n}\n", diags);
  REQUIRE(c.ok);
  std::ostringstream a, b;
  print_ast(*c.module, a);
  print_ast(*c.module, b);
  CHECK(a.str() == b.str());
  CHECK(a.str().find("(let xs (list (int 1 : int) (int 2 : int) : list[int]))") != std::string::npos);
}

int main(int argc, char** argv) { return sgl::test::golden_main(argc, argv); }
