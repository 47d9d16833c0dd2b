// The compiler's middle end as one straight list: lower the checked program to SGL IR, then run
// the passes in order, verifying after each. SGL_DEBUG=2 prints the IR after every step to
// stderr; SGL_TIME_PASSES=1 prints how long each step took.
#pragma once

#include <iosfwd>
#include <memory>

#include "ir/ir.h"
#include "sema.h"

namespace sgl {

struct PipelineOptions {
  bool dump_ir = false;     // print the IR after each step (SGL_DEBUG >= 2)
  bool time_passes = false; // print per-step times (SGL_TIME_PASSES=1)
  std::ostream* log = nullptr;  // where dumps and times go (stderr when null)
  static PipelineOptions from_env();
};

// Lowers `program` (checked without errors, with a main) and runs every pass. Throws
// InternalError when a step leaves malformed IR.
std::unique_ptr<ir::Module> compile_to_ir(const Program& program, const PipelineOptions& options = PipelineOptions::from_env());

}  // namespace sgl
