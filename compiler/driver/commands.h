// The sglc subcommands. Each add_*_command registers its subcommand and options on the app; when
// that subcommand is the one given, its parse callback stores the work to do in `action`, which
// main() runs after parsing. One file per family of commands keeps the driver easy to extend.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sgl::driver {

struct Context {
  bool color = false;  // --color resolved against the terminal and NO_COLOR
};

// Returns the process exit code: 0 success, 1 errors in the user's program or input, 2 bad usage.
using Action = std::function<int(const Context&)>;

void add_check_command(CLI::App& app, Action& action);
void add_run_command(CLI::App& app, Action& action);
void add_build_command(CLI::App& app, Action& action);  // sglc build FILE -o OUT (AOT executable)
void add_engine_commands(CLI::App& app, Action& action);   // complete, tokenize, bench, model random
void add_grammar_command(CLI::App& app, Action& action);
void add_repl_command(CLI::App& app, Action& action);     // sglc repl (interactive session)

}  // namespace sgl::driver
