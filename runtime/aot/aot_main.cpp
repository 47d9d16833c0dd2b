// The main() of every executable `sglc build` makes: it parses the same run options as
// `sglc run` (add_run_options) and runs the linked-in module, so `./prog --arg x=1` behaves exactly
// like `sglc run prog.sgl --arg x=1`. Linked with libsglrt alone: no LLVM, no ANTLR.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "run.h"
#include "sgl/rt.h"

// Emitted by the compiler into the program's object file (SGL_MODULE_SYMBOL).
extern "C" const sgl_module sgl_program;

int main(int argc, char** argv) {
  std::string source = sgl_program.source_file ? sgl_program.source_file : "a .sgl program";
  CLI::App app{"Compiled from " + source + " by sglc build; runs main on a model"};
  sgl::RunOptions options;
  sgl::add_run_options(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return sgl::run_module(sgl_program, options, std::cout, std::cerr);
}
