// Pass: lower typed gen to the one constraint form the runtime takes (rt.h sgl_gen_constrain): a
// regex (int, float, bool, enums) or a JSON schema (lists and schema types), with the gen's
// result type saying how to decode the text. Explicit regex/json options already have that form.
#pragma once

#include <string>

#include "ir/ir.h"

namespace sgl::passes {

void lower_constraints(ir::Module& m);

// The constraint for generating a value of type `t`: kind Regex or Json and its spec text, or
// kind None for str (any text). Exposed for tests.
struct ConstraintSpec {
  ir::ConstraintKind kind = ir::ConstraintKind::None;
  std::string spec;
};
ConstraintSpec constraint_for(const ir::Module& m, const ir::DataType& t);

}  // namespace sgl::passes
