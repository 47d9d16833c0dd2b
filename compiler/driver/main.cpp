// sglc: the command-line driver. Subcommands map to the compiler pipeline (check, run) and to the
// runtime (complete, tokenize, bench, model, grammar). Exit status: 0 success, 1 errors in the
// user's program or input, 2 bad command line.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "device.h"

namespace {

bool use_color(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  return isatty(STDERR_FILENO) && std::getenv("NO_COLOR") == nullptr;
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

  sgl::driver::Action action;
  sgl::driver::add_check_command(app, action);
  sgl::driver::add_run_command(app, action);
  sgl::driver::add_build_command(app, action);
  sgl::driver::add_engine_commands(app, action);
  sgl::driver::add_grammar_command(app, action);
  sgl::driver::add_repl_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  sgl::driver::Context ctx;
  ctx.color = use_color(color_mode);
  return action ? action(ctx) : 0;
}
