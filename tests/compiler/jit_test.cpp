// The JIT: every example links against the rt.h table alone and yields a module descriptor the
// runtime accepts; an ABI version mismatch is refused with a message naming both versions.
#include <doctest/doctest.h>

#include "ir_test_util.h"
#include "jit/jit.h"

using namespace sgl;

TEST_CASE("every example JIT-compiles to a descriptor that matches its IR") {
  auto files = test::files_with_ext(std::filesystem::path(SGL_SOURCE_DIR) / "examples", ".sgl");
  REQUIRE(!files.empty());
  for (const auto& f : files) {
    CAPTURE(f.string());
    DiagnosticEngine diags;
    FrontendOptions opts;
    opts.require_main = true;
    Compilation c = compile_file(f.string(), diags, opts);
    REQUIRE(c.ok);
    PipelineOptions po;
    auto m = compile_to_ir(*c.program, po);
    std::string error;
    auto p = jit::JitProgram::compile(*m, error);
    REQUIRE_MESSAGE(p, error);
    const sgl_module& d = p->module();
    CHECK(d.abi_version == SGL_RT_ABI_VERSION);
    CHECK(std::string(d.source_file) == f.string());
    REQUIRE(d.num_params == static_cast<int32_t>(m->main_params.size()));
    for (int32_t i = 0; i < d.num_params; ++i) {
      CHECK(std::string(d.params[i].name) == m->main_params[i].name);
      CHECK(std::string(d.params[i].type) == m->main_params[i].type.desc);
      CHECK((d.params[i].default_text != nullptr) == m->main_params[i].has_default);
    }
    CHECK(static_cast<bool>(d.main));
    CHECK(static_cast<bool>(d.prefix) == !m->prefix.empty());
  }
}

TEST_CASE("a module built for another ABI version is refused") {
  sgl_module m{};
  m.abi_version = SGL_RT_ABI_VERSION + 1;
  std::string error;
  CHECK(!jit::abi_matches(m, error));
  CHECK(error == "the program was compiled for runtime ABI version " + std::to_string(SGL_RT_ABI_VERSION + 1) +
                     ", but this runtime has version " + std::to_string(SGL_RT_ABI_VERSION));
}
