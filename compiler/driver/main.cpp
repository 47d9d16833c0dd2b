// sglc: the command-line driver. Subcommands map to the compiler pipeline (check, run) and, as
// they land, to the runtime (complete, tokenize, bench, serve...). Exit status: 0 success,
// 1 errors in the user's program or input, 2 bad command line.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "ast_printer.h"
#include "device.h"
#include "frontend.h"

namespace {

bool use_color(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  return isatty(STDERR_FILENO) && std::getenv("NO_COLOR") == nullptr;
}

int finish(const sgl::DiagnosticEngine& diags, bool color) {
  diags.render(std::cerr, color);
  return diags.has_errors() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sglc: compiler and runtime for .sgl language-model programs"};
  app.set_version_flag("--version", std::string("sglc ") + SGL_VERSION + "\n" + sgl::describe_devices(sgl::probe_devices()));
  app.require_subcommand(1);
  app.fallthrough(true);  // global options such as --color may follow the subcommand
  std::string color_mode = "auto";
  app.add_option("--color", color_mode, "Color diagnostics: auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  // sglc check FILE...
  std::vector<std::string> check_files;
  CLI::App* check = app.add_subcommand("check", "Parse and type-check .sgl files; exit 1 on any error");
  check->add_option("files", check_files, "Source files")->required()->check(CLI::Validator());

  // sglc run FILE [options]
  std::string run_file, emit;
  CLI::App* run = app.add_subcommand("run", "Compile and run a program (for now: --emit=ast)");
  run->add_option("file", run_file, "Program to run")->required();
  run->add_option("--emit", emit, "Print a compiler stage instead of running: ast")->check(CLI::IsMember({"ast"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  bool color = use_color(color_mode);

  sgl::DiagnosticEngine diags;
  if (*check) {
    for (const std::string& f : check_files) sgl::compile_file(f, diags);
    return finish(diags, color);
  }
  if (*run) {
    sgl::FrontendOptions opts;
    opts.require_main = true;
    sgl::Compilation c = sgl::compile_file(run_file, diags, opts);
    int status = finish(diags, color);
    if (status != 0) return status;
    if (emit == "ast") {
      sgl::print_ast(*c.module, std::cout);
      return 0;
    }
    std::cerr << "sglc run: executing programs is not available yet (the back end and model engine are in "
                 "progress); use --emit=ast to see the checked program\n";
    return 2;
  }
  return 0;
}
