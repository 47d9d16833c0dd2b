// The single compile path from Rx to automaton (see constraint.h).
#include "constraint.h"

#include "regex_parser.h"
#include "typed_targets.h"

namespace sgl::constraint {

std::shared_ptr<LazyDfa> compile(const Rx& rx, const CompileOptions& options) {
  auto nfa = std::make_shared<const Nfa>(Nfa::build(rx, options.nfa));
  return std::make_shared<LazyDfa>(std::move(nfa), options.max_dfa_states);
}

std::shared_ptr<LazyDfa> compile_regex(std::string_view pattern, const CompileOptions& options) {
  return compile(parse_regex(pattern), options);
}

std::shared_ptr<LazyDfa> compile_json_schema(std::string_view schema_text,
                                             const JsonSchemaOptions& schema_options,
                                             const CompileOptions& options) {
  return compile(json_schema_to_rx(schema_text, schema_options), options);
}

std::shared_ptr<LazyDfa> compile_choices(const std::vector<std::string>& choices,
                                         const CompileOptions& options) {
  return compile(rx_choices(choices), options);
}

}  // namespace sgl::constraint
