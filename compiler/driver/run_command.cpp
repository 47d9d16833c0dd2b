// sglc run: compile a program and run it (or print a compiler stage with --emit).
#include <iostream>
#include <memory>

#include "ast_printer.h"
#include "commands.h"
#include "frontend.h"
#include "internal_error.h"
#include "ir/ir_printer.h"
#include "pipeline.h"

namespace sgl::driver {

void add_run_command(CLI::App& app, Action& action) {
  struct Opts {
    std::string file, emit;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("run", "Compile and run a program (for now: --emit=ast|ir)");
  cmd->add_option("file", o->file, "Program to run")->required();
  cmd->add_option("--emit", o->emit, "Print a compiler stage instead of running: ast, ir")
      ->check(CLI::IsMember({"ast", "ir"}));
  cmd->callback([o, &action] {
    action = [o](const Context& ctx) {
      DiagnosticEngine diags;
      FrontendOptions opts;
      opts.require_main = true;
      Compilation c = compile_file(o->file, diags, opts);
      diags.render(std::cerr, ctx.color);
      int status = diags.has_errors() ? 1 : 0;
      if (status != 0) return status;
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
      } catch (const InternalError& e) {
        std::cerr << "sglc: " << e.what() << "\n";
        return 3;
      }
      std::cerr << "sglc run: executing programs is not available yet (the back end is in progress); use "
                   "--emit=ast or --emit=ir to see the compiled program\n";
      return 2;
    };
  });
}

}  // namespace sgl::driver
