// Pass: lower fork. `fork` becomes the runtime's protocol (rt.h): fork.begin commits the shared
// prefix once and prepares the children, a loop starts each branch with the captured env (and
// its item), and fork.join waits for all of them and yields the branches in index order.
#pragma once

#include "ir/ir.h"

namespace sgl::passes {

void lower_forks(ir::Module& m);

}  // namespace sgl::passes
