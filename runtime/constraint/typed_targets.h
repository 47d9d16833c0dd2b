// Constraints for `gen x: int|float|bool|enum(...)` and for a set of literal choices, expressed
// as Rx like every other constraint. The text formats match what the language's conversions
// parse (JSON number syntax, `true`/`false`).
#pragma once

#include <string>
#include <vector>

#include "rx.h"

namespace sgl::constraint {

Rx rx_choices(const std::vector<std::string>& choices);  // exactly one of the strings
Rx rx_int();    // -?(0|[1-9][0-9]*)
Rx rx_float();  // JSON number: sign, fraction, exponent of at most 2 digits (fits a double)
Rx rx_bool();   // true|false
inline Rx rx_enum(const std::vector<std::string>& names) { return rx_choices(names); }

}  // namespace sgl::constraint
