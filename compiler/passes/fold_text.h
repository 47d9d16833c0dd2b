// Pass: fold constant text. Adjacent constant parts of a concatenation (interpolations of
// constants included) become one constant, and consecutive appends of constants become one
// append, so the stream receives fewer, larger pieces.
#pragma once

#include "ir/ir.h"

namespace sgl::passes {

void fold_text(ir::Module& m);

}  // namespace sgl::passes
