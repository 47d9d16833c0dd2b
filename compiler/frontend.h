// The front end as one call: read a file (refusing missing, huge, binary and non-UTF-8 input with
// a clear error), parse it and check it. Runs on a thread with a large stack so that deeply
// nested (but legal) input cannot overflow the caller's stack.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ast.h"
#include "diagnostics.h"
#include "sema.h"

namespace sgl {

struct FrontendOptions {
  bool require_main = false;
};

struct Compilation {
  std::shared_ptr<SourceFile> file;
  std::unique_ptr<ast::Module> module;   // null when the file could not be parsed
  std::unique_ptr<Program> program;      // set when sema ran
  bool ok = false;                       // no errors
};

// Reads and checks `path`.
Compilation compile_file(const std::string& path, DiagnosticEngine& diags, const FrontendOptions& opts = {});
// Checks `text` as if it were the file `path` (tests, the REPL, docs examples).
Compilation compile_source(const std::string& path, std::string text, DiagnosticEngine& diags,
                           const FrontendOptions& opts = {});

// Runs `fn` on a thread with a 256 MiB stack and waits for it.
void run_with_large_stack(const std::function<void()>& fn);

}  // namespace sgl
