// sglc build: compile a program ahead of time into a standalone executable (its object file
// linked with the AOT main and the runtime's static libraries; no LLVM or ANTLR in it) that takes
// the same run options as `sglc run` and behaves like it.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "aot_link.h"
#include "codegen/object_file.h"
#include "commands.h"
#include "frontend.h"
#include "internal_error.h"
#include "pipeline.h"

namespace sgl::driver {

void add_build_command(CLI::App& app, Action& action) {
  struct Opts {
    std::string file, output;
    bool object_only = false;
    bool debug_info = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("build", "Compile a program into a standalone executable (sglc build FILE -o OUT)");
  cmd->add_option("file", o->file, "Program to compile")->required();
  cmd->add_option("-o,--output", o->output, "The executable to write (default: FILE without .sgl)");
  cmd->add_flag("--object", o->object_only, "Write only the object file (to -o), without linking");
  cmd->add_flag("-g,--debug-info", o->debug_info,
                "Keep the runtime's debug info in the executable (about 55 MB instead of about 4 MB)");
  cmd->callback([o, &action] {
    action = [o](const Context& ctx) {
      namespace fs = std::filesystem;
      DiagnosticEngine diags;
      FrontendOptions opts;
      opts.require_main = true;
      Compilation c = compile_file(o->file, diags, opts);
      diags.render(std::cerr, ctx.color);
      if (diags.has_errors()) return 1;
      std::string out = o->output;
      if (out.empty()) out = fs::path(o->file).replace_extension(o->object_only ? ".o" : "").string();
      if (out == o->file) {
        std::cerr << "sglc build: error: the output would overwrite the source file " << o->file << "; pass -o\n";
        return 1;
      }
      try {
        std::unique_ptr<ir::Module> m = compile_to_ir(*c.program);
        std::string object = o->object_only ? out : out + ".sglc-" + std::to_string(getpid()) + ".o";
        std::string error;
        if (!codegen::emit_object_file(*m, object, error)) {
          std::cerr << "sglc build: error: " << error << "\n";
          return 1;
        }
        if (o->object_only) return 0;
        int rc = link_aot_executable(object, out, std::cerr, o->debug_info);
        std::error_code ec;
        fs::remove(object, ec);
        return rc;
      } catch (const InternalError& e) {
        std::cerr << "sglc: " << e.what() << "\n";
        return 3;
      }
    };
  });
}

}  // namespace sgl::driver
