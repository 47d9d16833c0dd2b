// sglc check: parse and type-check files from the command line.
#include <iostream>
#include <memory>

#include "commands.h"
#include "frontend.h"

namespace sgl::driver {
namespace {

int finish(const DiagnosticEngine& diags, bool color) {
  diags.render(std::cerr, color);
  return diags.has_errors() ? 1 : 0;
}

}  // namespace

void add_check_command(CLI::App& app, Action& action) {
  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("check", "Parse and type-check .sgl files; exit 1 on any error");
  cmd->add_option("files", *files, "Source files")->required();
  cmd->callback([files, &action] {
    action = [files](const Context& ctx) {
      DiagnosticEngine diags;
      for (const std::string& f : *files) compile_file(f, diags);
      return finish(diags, ctx.color);
    };
  });
}

}  // namespace sgl::driver
