// Builders for typed `gen` targets and choice sets (see typed_targets.h).
#include "typed_targets.h"

#include "regex_parser.h"

namespace sgl::constraint {

Rx rx_choices(const std::vector<std::string>& choices) {
  std::vector<Rx> alts;
  for (const std::string& c : choices) alts.push_back(rx_literal(c));
  return rx_alt(std::move(alts));
}

Rx rx_int() {
  static const Rx r = parse_regex("-?(?:0|[1-9][0-9]*)");
  return r;
}

Rx rx_float() {
  static const Rx r = parse_regex("-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]{1,2})?");
  return r;
}

Rx rx_bool() { return rx_alt({rx_literal("true"), rx_literal("false")}); }

}  // namespace sgl::constraint
