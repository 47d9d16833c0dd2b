// libFuzzer target: any byte string as a JSON schema. Must compile or throw ConstraintError.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "constraint.h"
#include "constraint_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    sgl::constraint::CompileOptions o;
    o.nfa.max_nodes = 200000;
    o.max_dfa_states = 2000;
    auto dfa = sgl::constraint::compile_json_schema(text, {}, o);
    dfa->full_match(text);
    dfa->forced_bytes(dfa->start(), 64);
  } catch (const sgl::constraint::ConstraintError&) {
  }
  return 0;
}
