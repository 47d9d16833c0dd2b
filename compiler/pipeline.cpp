// Runs lowering and the IR passes as one readable list (Halide's Lower.cpp habit): each step is
// one line below, followed by the verifier, an optional IR dump and an optional timing line.
#include "pipeline.h"

#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>

#include "ir/ir_printer.h"
#include "ir/ir_verifier.h"
#include "lower.h"
#include "passes/fold_text.h"
#include "passes/hoist_prefix.h"
#include "passes/lower_constraints.h"
#include "passes/lower_fork.h"

namespace sgl {

PipelineOptions PipelineOptions::from_env() {
  PipelineOptions o;
  const char* debug = std::getenv("SGL_DEBUG");
  o.dump_ir = debug && std::atoi(debug) >= 2;
  const char* time = std::getenv("SGL_TIME_PASSES");
  o.time_passes = time && std::atoi(time) >= 1;
  return o;
}

namespace {

class Steps {
 public:
  Steps(const PipelineOptions& o) : o_(o), log_(o.log ? *o.log : std::cerr) {}

  void start() { t0_ = std::chrono::steady_clock::now(); }

  // After a step: verify, then dump and time it as asked.
  void done(const char* name, const ir::Module& m, ir::Stage stage) {
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
    ir::verify_or_throw(m, stage, name);
    if (o_.time_passes) log_ << "sgl pass " << std::left << std::setw(18) << name << std::fixed << std::setprecision(3) << ms << " ms\n";
    if (o_.dump_ir) {
      log_ << ";; ---- IR after " << name << "\n";
      ir::print_module(m, log_);
    }
  }

 private:
  const PipelineOptions& o_;
  std::ostream& log_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace

std::unique_ptr<ir::Module> compile_to_ir(const Program& program, const PipelineOptions& options) {
  Steps s(options);
  s.start();
  std::unique_ptr<ir::Module> m = lower_program(program);
  s.done("lower", *m, ir::Stage::High);

  s.start();
  passes::fold_text(*m);
  s.done("fold-text", *m, ir::Stage::High);

  s.start();
  passes::hoist_prefix(*m);
  s.done("hoist-prefix", *m, ir::Stage::High);

  s.start();
  passes::lower_forks(*m);
  s.done("lower-fork", *m, ir::Stage::High);

  s.start();
  passes::lower_constraints(*m);
  ir::renumber_values(*m);  // passes appended values; number them top to bottom again
  s.done("lower-constraints", *m, ir::Stage::Lowered);
  return m;
}

}  // namespace sgl
