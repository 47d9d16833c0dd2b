// `sglc repl`: an interactive session on one long-lived program instance. Definitions persist,
// statements run at once against the session's stream, variables stay readable in later inputs,
// and errors (compile-time or runtime) are reported without ending the session.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "repl/input.h"
#include "run.h"

namespace sgl {
class Backend;
}

namespace sgl::repl {

struct ReplOptions {
  RunOptions run;  // used: --temperature, --max-tokens, --seed, --chat-template (the model is the backend)
  bool color = false;
  bool has_model = true;  // false: say at the start that code calling the model needs --model
};

// Reads inputs from `in` until :quit or the end of the input. The stream (as it is generated),
// print lines and command output go to `out`; diagnostics and runtime errors to `err`. Returns 0,
// or 1 when the JIT cannot start, 2 for an unknown --chat-template.
int run_repl(LineReader& in, Backend& backend, const ReplOptions& o, std::ostream& out, std::ostream& err);

// `sglc run`'s message when there is no model (the REPL uses the same words).
extern const char* const kModelNeeded;

// For a session without --model: every request fails with kModelNeeded, so code that does not
// call the model still runs and code that does stops with a runtime error.
std::unique_ptr<Backend> no_model_backend();

}  // namespace sgl::repl
