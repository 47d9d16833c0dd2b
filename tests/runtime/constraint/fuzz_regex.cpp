// libFuzzer target: any byte string as a regex pattern. Must either compile or throw
// ConstraintError, never crash or hang; compiled automata are exercised on the input itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "constraint.h"
#include "constraint_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view pattern(reinterpret_cast<const char*>(data), size);
  try {
    sgl::constraint::CompileOptions o;
    o.nfa.max_nodes = 200000;
    o.max_dfa_states = 2000;
    auto dfa = sgl::constraint::compile_regex(pattern, o);
    dfa->full_match(pattern);
    dfa->forced_bytes(dfa->start(), 64);
  } catch (const sgl::constraint::ConstraintError&) {
  }
  return 0;
}
