// sglc run: compile a program and run it through the JIT on the program runtime (or print a
// compiler stage with --emit=ast|ir|llvm). Run options are the runtime's (add_run_options), the
// same ones AOT executables take.
#include <iostream>
#include <memory>

#include "ast_printer.h"
#include "codegen/codegen.h"
#include "commands.h"
#include "frontend.h"
#include "internal_error.h"
#include "ir/ir_printer.h"
#include "jit/jit.h"
#include "pipeline.h"
#include "run.h"

namespace sgl::driver {

void add_run_command(CLI::App& app, Action& action) {
  struct Opts {
    std::string file, emit;
    RunOptions run;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("run", "Compile a program and run its main (or print a compiler stage with --emit)");
  cmd->add_option("file", o->file, "Program to run")->required();
  cmd->add_option("--emit", o->emit, "Print a compiler stage instead of running: ast, ir (after all passes), llvm (optimised)")
      ->check(CLI::IsMember({"ast", "ir", "llvm"}));
  add_run_options(*cmd, o->run);
  cmd->callback([o, &action] {
    action = [o](const Context& ctx) {
      DiagnosticEngine diags;
      FrontendOptions opts;
      opts.require_main = true;
      Compilation c = compile_file(o->file, diags, opts);
      diags.render(std::cerr, ctx.color);
      if (diags.has_errors()) return 1;
      if (o->emit == "ast") {
        print_ast(*c.module, std::cout);
        return 0;
      }
      try {
        std::unique_ptr<ir::Module> m = compile_to_ir(*c.program);
        if (o->emit == "ir") {
          ir::print_module(*m, std::cout);
          return 0;
        }
        std::string error;
        if (o->emit == "llvm") {
          std::string text = codegen::optimized_llvm_text(*m, error);
          if (text.empty()) {
            std::cerr << "sglc run: " << error << "\n";
            return 1;
          }
          std::cout << text;
          return 0;
        }
        std::unique_ptr<jit::JitProgram> p = jit::JitProgram::compile(*m, error);
        if (!p) {
          std::cerr << "sglc run: " << error << "\n";
          return 1;
        }
        return run_module(p->module(), o->run, std::cout, std::cerr);
      } catch (const InternalError& e) {
        std::cerr << "sglc: " << e.what() << "\n";
        return 3;
      }
    };
  });
}

}  // namespace sgl::driver
