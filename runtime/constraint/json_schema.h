// JSON schema -> Rx, so a schema constraint compiles exactly like a regex. Output is the JSON
// text of a value that validates against the supported subset of the schema.
//
// Whitespace policy (also in README.md): JSON tokens are separated by at most
// `max_whitespace` bytes of [ \t\n\r] at every place JSON allows whitespace (after `{`, `[`, `,`
// and `:`, before `,`, `:`, `}` and `]`), never at the start or end of the value. The bound
// keeps the model from looping on whitespace; 20 admits compact JSON and pretty-printing with
// 2-space indentation up to depth 9. JsonWhitespace::Single allows at most one space (Outlines'
// default, `[ ]?`): it is what programs generate with, because small models otherwise fill the
// allowed whitespace with newlines. JsonWhitespace::Compact allows none at all.
//
// Strings never contain \u escapes of lone surrogates (raw UTF-8 covers every character);
// numbers have at most 2 exponent digits, so every value fits a double and common parsers
// accept it.
//
// Supported: `type` (string, number, integer, boolean, null, object, array, or a list of them),
// `properties` (emitted in schema order), `required`, `additionalProperties` (absent or false:
// no other keys; true or a schema: further keys after the listed ones), `enum`, `const`,
// `items`, `minItems`, `maxItems`, `$ref` to `#...` JSON pointers (with `$defs`/`definitions`;
// recursion is unrolled `max_ref_depth` levels, deeper branches are dropped), `anyOf`, `oneOf`
// (as anyOf: exclusivity is not enforced), `allOf` with one element, string `minLength`,
// `maxLength` (code points, an escape counts as one), `pattern` (search semantics, as the spec
// says) and `format` (date, time, date-time, uuid, email), integer `minimum`/`maximum`/
// `exclusiveMinimum`/`exclusiveMaximum` (any integer bounds up to 1e15), number bounds when they
// are non-negative integers. Annotations (title, description, default, examples, $schema, $id,
// $comment, deprecated, readOnly, writeOnly) are ignored. Anything else is a ConstraintError
// naming the keyword and its JSON pointer path.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string_view>

#include "rx.h"

namespace sgl::constraint {

enum class JsonWhitespace { Flexible, Single, Compact };

struct JsonSchemaOptions {
  JsonWhitespace whitespace = JsonWhitespace::Flexible;
  uint32_t max_whitespace = 20;
  // How many times one $ref may be open on the current path (recursive schemas).
  uint32_t max_ref_depth = 3;
  // Nesting depth of free-form values ({} schemas, objects without properties).
  uint32_t max_any_depth = 3;
};

// An ordered_json keeps `properties` in schema order (plain nlohmann::json sorts keys).
Rx json_schema_to_rx(const nlohmann::ordered_json& schema, const JsonSchemaOptions& options = {});
// Parses the schema text first (a parse error is a ConstraintError too).
Rx json_schema_to_rx(std::string_view schema_text, const JsonSchemaOptions& options = {});

// Integer decimal strings in [lo, hi] (no leading zeros, no "-0"); bounds absent = unbounded.
Rx integer_range_rx(const int64_t* lo, const int64_t* hi);

}  // namespace sgl::constraint
