// Golden IR dumps: `sglc run examples/X.sgl --emit=ir` must print tests/golden/ir/X.ir (the IR
// after every pass). Regenerate after an intended change with
// `build/bin/compiler_golden_ir_test --update` and review the diff.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstring>

#include "ir/ir_printer.h"
#include "pipeline.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace sgl;

static bool g_update = false;

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
    fs::path g = golden / (f.stem().string() + ".ir");
    if (g_update) {
      fs::create_directories(golden);
      std::ofstream(g, std::ios::binary) << text;
      continue;
    }
    REQUIRE_MESSAGE(fs::exists(g), ("missing " + g.string() + "; run build/bin/compiler_golden_ir_test --update"));
    CHECK_MESSAGE(test::read_file(g) == text,
                  (f.string() + " no longer prints " + g.string() + "; if intended, run build/bin/compiler_golden_ir_test --update"));
  }
  for (const fs::path& g : test::files_with_ext(golden, ".ir")) {
    CHECK_MESSAGE(fs::exists(examples / (g.stem().string() + ".sgl")), ("stale golden file " + g.string()));
  }
}

TEST_CASE("the IR printer is stable: compiling twice prints the same text") {
  fs::path f = fs::path(SGL_SOURCE_DIR) / "examples" / "tree_of_thought.sgl";
  CHECK(ir_of(f) == ir_of(f));
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
