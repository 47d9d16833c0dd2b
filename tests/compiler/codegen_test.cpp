// Code generation: every example compiles to LLVM IR that verifies, calls out only to rt.h
// functions (and LLVM intrinsics), keeps everything internal but the exported `sgl_program`, and
// emits one sgl_loc per runtime-error point.
#include <doctest/doctest.h>

#include <regex>

#include "codegen/codegen.h"
#include "ir_test_util.h"
#include "sgl/rt.h"

using namespace sgl;

namespace {

std::string llvm_of(const ir::Module& m) {
  std::string error;
  std::string text = codegen::optimized_llvm_text(m, error);
  REQUIRE_MESSAGE(!text.empty(), error);
  return text;
}

std::unique_ptr<ir::Module> example_ir(const std::filesystem::path& f, Compilation& c) {
  DiagnosticEngine diags;
  FrontendOptions opts;
  opts.require_main = true;
  c = compile_file(f.string(), diags, opts);
  REQUIRE_MESSAGE(c.ok, test::joined(test::describe(diags)));
  PipelineOptions po;
  return compile_to_ir(*c.program, po);
}

}  // namespace

TEST_CASE("every example's LLVM IR calls only the runtime's C ABI and exports only sgl_program") {
  auto files = test::files_with_ext(std::filesystem::path(SGL_SOURCE_DIR) / "examples", ".sgl");
  REQUIRE(!files.empty());
  std::regex declare(R"(^declare [^@]*@([A-Za-z0-9_.]+)\()");
  std::regex define(R"(^define ([a-z_ ]*)[^@]*@([A-Za-z0-9_.]+)\()");
  std::regex global(R"(^@([A-Za-z0-9_.]+) = ([a-z_ ]*)(constant|global))");
  for (const auto& f : files) {
    CAPTURE(f.string());
    Compilation c;
    auto m = example_ir(f, c);
    std::istringstream in(llvm_of(*m));
    std::string line;
    int exported = 0;
    while (std::getline(in, line)) {
      std::smatch s;
      if (std::regex_search(line, s, declare)) {
        std::string name = s[1];
        CHECK_MESSAGE((name.rfind("sgl_", 0) == 0 || name.rfind("llvm.", 0) == 0), ("calls out to " + name));
      } else if (std::regex_search(line, s, define)) {
        CHECK_MESSAGE(std::string(s[1]).find("internal") != std::string::npos, ("function not internal: " + line));
      } else if (std::regex_search(line, s, global)) {
        bool is_program = s[1] == SGL_MODULE_SYMBOL;
        bool is_private = std::string(s[2]).find("private") != std::string::npos;
        CHECK_MESSAGE((is_program || is_private), ("global not private: " + line));
        if (is_program) ++exported;
      }
    }
    CHECK(exported == 1);
  }
}

TEST_CASE("the descriptor carries the ABI version, main's parameters with defaults, and the prefix") {
  auto r = test::lower_text("fn main(q: str, n: int = -3, t: float = 0.5, v: bool = true) {\n  system \"S\"\n  print(q, n, t, v)\n}\n", true);
  std::string text = llvm_of(*r.m);
  CHECK(test::has(text, "@sgl_program = local_unnamed_addr constant %sgl_module { i32 " + std::to_string(SGL_RT_ABI_VERSION) +
                            ", ptr @"));
  CHECK(test::has(text, "i32 4, ptr @.params, ptr @sgl.main.entry, ptr @sgl.main.prefix }"));
  CHECK(test::has(text, "c\"-3\\00\""));
  CHECK(test::has(text, "c\"0.5\\00\""));
  CHECK(test::has(text, "c\"true\\00\""));
}

TEST_CASE("runtime-error points become sgl_loc constants with the file, line and column") {
  auto r = test::lower_text("fn main(s: str = \"x\") {\n  print(int(s))\n}\n", true);
  std::string text = llvm_of(*r.m);
  CHECK(test::has(text, "constant %sgl_loc { ptr @"));
  CHECK(test::has(text, ", i32 2, i32 9 }"));
  CHECK(test::has(text, "@sgl_int_from_str("));
}

TEST_CASE("integer division checks for zero and returns the runtime's status") {
  auto r = test::lower_text("fn main(a: int = 1, b: int = 0) {\n  print(a / b)\n}\n", true);
  std::string text = llvm_of(*r.m);
  CHECK(test::has(text, "@sgl_error("));
  CHECK(test::has(text, "division by zero"));
  // (After a / b, a % b by the same b needs no second check: O2 removes it, so test it alone.)
  auto r2 = test::lower_text("fn main(a: int = 1, b: int = 0) {\n  print(a % b)\n}\n", true);
  CHECK(test::has(llvm_of(*r2.m), "modulo by zero"));
}
