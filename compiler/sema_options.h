// The options `gen` and `select` accept, with their value types and ranges. One table serves
// sema (checking) and, later, lowering (defaults); docs/language.md lists the same names.
#pragma once

#include <string>
#include <vector>

namespace sgl {

enum class OptionType {
  Int,
  Float,           // an int literal is accepted too
  Bool,
  StrOrStrList,    // stop: "x" or ["x", "y"]
  IntList,         // stop_token_ids
  Regex,           // a /regex/ literal, a regex value, or a constant str (validated by RE2)
  JsonSchema,      // a str holding a JSON schema (validated when constant)
  SelectMethod,    // "token_length_normalized" | "greedy" | "unconditional"
};

struct OptionSpec {
  const char* name;
  OptionType type;
  double min;  // inclusive bounds for constant numeric values
  double max;
};

const std::vector<OptionSpec>& gen_options();
const std::vector<OptionSpec>& select_options();
const OptionSpec* find_option(const std::vector<OptionSpec>& table, const std::string& name);
std::string describe(OptionType t);

// The closest candidate within a small edit distance, or "" (for "did you mean ...?").
std::string closest_name(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace sgl
