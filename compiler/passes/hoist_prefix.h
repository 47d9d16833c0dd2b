// Pass: hoist the constant prefix of main. The leading run of constant appends and role turns in
// main's entry block moves into a prefix function that main calls first and that the module
// descriptor names (sgl_module.prefix), so a --batch run can pre-fill it once for all instances.
#pragma once

#include "ir/ir.h"

namespace sgl::passes {

void hoist_prefix(ir::Module& m);

}  // namespace sgl::passes
