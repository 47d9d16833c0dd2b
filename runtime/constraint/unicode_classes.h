// Code point ranges of RE2's Unicode classes (\p{L}, \p{Greek}, ...). RE2 does not install its
// Unicode tables, so we ask RE2 itself which code points a class matches, once per class.
#pragma once

#include <string_view>
#include <vector>

#include "rx.h"

namespace sgl::constraint {

// Ranges of the class named `name` as RE2 spells it inside \p{...} (e.g. "L", "Lu", "Greek",
// "Any"). Returns false when RE2 does not know the name. Results are cached process-wide
// (thread-safe); the first call for a class costs a few milliseconds.
bool unicode_class_ranges(std::string_view name, std::vector<CodeRange>* out);

}  // namespace sgl::constraint
