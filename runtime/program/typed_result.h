// Decoding a gen's text as its result type (typed gen): "s"/"e" stay text, "i"/"f"/"b" are parsed
// like the language's conversions, "o" and "L..." are JSON decoded into schema values and lists.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sgl {

class Arena;

// false and *err (a message without position) when the text is not a value of the type.
bool decode_gen_result(Arena& a, std::string_view text, const char* type, uint64_t* out, std::string* err);
// Strict conversions shared with int()/float(): surrounding ASCII whitespace is allowed.
bool parse_int(std::string_view s, int64_t* out);
bool parse_float(std::string_view s, double* out);

}  // namespace sgl
