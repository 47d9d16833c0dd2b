// Golden IR dumps: `sglc run examples/X.sgl --emit=ir` must print tests/golden/ir/X.ir (the IR
// after every pass). Regenerate after an intended change with
// `build/bin/compiler_golden_ir_test --update` and review the diff.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "ir/ir_printer.h"
#include "pipeline.h"
#include "golden.h"

namespace fs = std::filesystem;
using namespace sgl;

static std::string ir_of(const fs::path& f) {
  DiagnosticEngine diags;
  FrontendOptions opts;
  opts.require_main = true;
  Compilation c = compile_file(f.string(), diags, opts);
  REQUIRE_MESSAGE(c.ok, (f.string() + " does not check:\n" + test::joined(test::describe(diags))));
  PipelineOptions po;  // no dumps or timings, whatever the environment says
  std::ostringstream out;
  ir::print_module(*compile_to_ir(*c.program, po), out);
  return out.str();
}

TEST_CASE("every example has a matching golden IR dump") {
  fs::path examples = fs::path(SGL_SOURCE_DIR) / "examples";
  fs::path golden = fs::path(SGL_SOURCE_DIR) / "tests/golden/ir";
  auto files = test::files_with_ext(examples, ".sgl");
  REQUIRE(!files.empty());
  for (const fs::path& f : files) {
    // Paths in the dump are relative to the source tree, as when running from its root.
    fs::path rel = fs::path("examples") / f.filename();
    fs::path cwd = fs::current_path();
    fs::current_path(SGL_SOURCE_DIR);
    std::string text = ir_of(rel);
    fs::current_path(cwd);
    test::check_golden(golden / (f.stem().string() + ".ir"), text, f, "compiler_golden_ir_test");
  }
  test::check_no_stale_golden(golden, ".ir", examples);
}

TEST_CASE("the IR printer is stable: compiling twice prints the same text") {
  fs::path f = fs::path(SGL_SOURCE_DIR) / "examples" / "tree_of_thought.sgl";
  CHECK(ir_of(f) == ir_of(f));
}

int main(int argc, char** argv) { return sgl::test::golden_main(argc, argv); }
