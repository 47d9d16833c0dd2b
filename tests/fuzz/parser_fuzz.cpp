// libFuzzer target: any bytes through the whole front end (file checks, lexer, layout, parser,
// AST, sema). Built with -DSGL_FUZZ=ON and clang; see tests/fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <string>

#include "frontend.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sgl::DiagnosticEngine diags;
  sgl::FrontendOptions opts;
  opts.require_main = (size % 2) == 0;
  sgl::compile_source("fuzz.sgl", std::string(reinterpret_cast<const char*>(data), size), diags, opts);
  // Rendering touches every span: it must stay inside the text.
  std::string sink;
  for (const sgl::Diagnostic& d : diags.diagnostics()) sink += d.message;
  return 0;
}
