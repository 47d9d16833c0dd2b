// Prints an AST as stable, indented S-expressions (`sglc run FILE --emit=ast`, golden tests).
// Statements go one per line; expressions print inline with their checked type after ':'.
#pragma once

#include <iosfwd>

#include "ast.h"

namespace sgl {

void print_ast(const ast::Module& module, std::ostream& out);

}  // namespace sgl
