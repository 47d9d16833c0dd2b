// Checks that SGL IR is well formed: blocks end in exactly one terminator, values are defined once
// and dominate their uses, operands have the kinds their op needs, calls match their callees.
// A failure is always our bug (lowering or a pass produced it), never the user's.
#pragma once

#include <string>
#include <vector>

#include "ir/ir.h"

namespace sgl::ir {

// High: straight out of lowering (fork and typed gen allowed). Lowered: what codegen accepts
// (after the fork and constraint passes).
enum class Stage { High, Lowered };

// Every problem found, as "fn NAME, block B, #I op: message"; empty when the module is fine.
std::vector<std::string> verify(const Module& m, Stage stage);

// Throws InternalError naming `after` (the pass that ran last) and the first problems.
void verify_or_throw(const Module& m, Stage stage, const std::string& after);

}  // namespace sgl::ir
