// The single compile path from Rx to automaton (see constraint.h).
#include "constraint.h"

#include "regex_parser.h"

namespace sgl::constraint {

std::shared_ptr<LazyDfa> compile(const Rx& rx, const CompileOptions& options) {
  auto nfa = std::make_shared<const Nfa>(Nfa::build(rx, options.nfa));
  return std::make_shared<LazyDfa>(std::move(nfa), options.max_dfa_states);
}

std::shared_ptr<LazyDfa> compile_regex(std::string_view pattern, const CompileOptions& options) {
  return compile(parse_regex(pattern), options);
}

}  // namespace sgl::constraint
