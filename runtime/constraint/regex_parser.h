// Parses the RE2 syntax subset that constrained decoding supports into Rx. RE2 validates the
// pattern first, so a pattern RE2 rejects gets RE2's message, and one RE2 accepts but we do not
// support gets ours, naming the construct and its 0-based byte offset.
#pragma once

#include <string_view>

#include "rx.h"

namespace sgl::constraint {

// Supported: literals and escapes (\n \t \r \f \v \a \xHH \x{H..} and escaped punctuation), `.`
// (any code point but \n), classes [...] with ranges, negation, POSIX [:alpha:] classes, \d \w \s
// (ASCII, as in RE2) and their negations, Unicode classes \pL \p{Greek} \PL \p{^L}, alternation,
// groups (?:...) and (?P<name>...), * + ? {n} {n,} {n,m} and their lazy forms (treated as greedy:
// the set of matches is the same), ^ only at the start of a top-level branch and $ only at its
// end. Rejected with ConstraintError: flags (?i) etc., \b \B \A \z \C \Q..\E, octal escapes.
// Matching is full-match (the whole output must match), so the anchors are no-ops.
Rx parse_regex(std::string_view pattern);

// JSON schema `pattern` semantics: the regex may match anywhere unless anchored, so each
// top-level branch not starting with ^ gets `any*` in front and each not ending in $ gets `any*`
// behind. `any` is the caller's notion of one character (inside a JSON string: one char or
// escape).
Rx parse_regex_search(std::string_view pattern, const Rx& any);

}  // namespace sgl::constraint
