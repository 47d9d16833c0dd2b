// Helpers for the IR tests: compile .sgl text to (unpassed or fully passed) SGL IR.
#pragma once

#include <doctest/doctest.h>

#include "ir/ir_printer.h"
#include "ir/ir_verifier.h"
#include "lower.h"
#include "pipeline.h"
#include "test_util.h"

namespace sgl::test {

// Keeps the compilation alive beside the IR (the IR does not point into it, but tests may).
struct IrResult {
  Compilation c;
  std::unique_ptr<ir::Module> m;
  std::string text() const { return ir::to_text(*m); }
};

inline IrResult lower_text(const std::string& src, bool passes) {
  IrResult r;
  DiagnosticEngine diags;
  FrontendOptions opts;
  opts.require_main = true;
  r.c = compile_source("t.sgl", src, diags, opts);
  REQUIRE_MESSAGE(r.c.ok, joined(describe(diags)));
  if (passes) {
    PipelineOptions po;
    r.m = compile_to_ir(*r.c.program, po);
  } else {
    r.m = lower_program(*r.c.program);
  }
  return r;
}

inline bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace sgl::test
