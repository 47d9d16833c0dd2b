// Golden AST dumps: `sglc run examples/X.sgl --emit=ast` must print tests/golden/ast/X.ast.
// Regenerate after an intended change with `build/bin/compiler_golden_test --update` and
// review the diff.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstring>

#include "ast_printer.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace sgl;

static bool g_update = false;

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
    fs::path g = golden / (f.stem().string() + ".ast");
    if (g_update) {
      fs::create_directories(golden);
      std::ofstream(g, std::ios::binary) << out.str();
      continue;
    }
    REQUIRE_MESSAGE(fs::exists(g), ("missing " + g.string() + "; run build/bin/compiler_golden_test --update"));
    CHECK_MESSAGE(test::read_file(g) == out.str(),
                  (f.string() + " no longer prints " + g.string() + "; if intended, run build/bin/compiler_golden_test --update"));
  }
  // A golden file whose example is gone is stale.
  for (const fs::path& g : test::files_with_ext(golden, ".ast")) {
    CHECK_MESSAGE(fs::exists(examples / (g.stem().string() + ".sgl")), ("stale golden file " + g.string()));
  }
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

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--update") == 0) g_update = true;
    else args.push_back(argv[i]);
  }
  doctest::Context ctx(static_cast<int>(args.size()), args.data());
  return ctx.run();
}
