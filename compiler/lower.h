// Lowering: the checked AST (sema's Program) to SGL IR. Produces `main` and every function
// reachable from it; fork bodies are outlined into branch functions with an explicit capture
// environment, and each spawned function gets a wrapper the runtime can call.
#pragma once

#include <memory>

#include "ir/ir.h"
#include "sema.h"

namespace sgl {

// `program` must have checked without errors and have a main function.
std::unique_ptr<ir::Module> lower_program(const Program& program);

}  // namespace sgl
