// Values for main's parameters: from --arg NAME=VALUE text, from a --batch JSON line, and from the
// parameters' defaults, checked against the parameter types ("s", "i", "f", "b").
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sgl/rt.h"

namespace sgl {

class Arena;

struct ArgValue {
  char type = 's';
  std::string s;
  int64_t i = 0;
  double f = 0;
  bool b = false;
};

using ArgList = std::vector<std::pair<std::string, std::string>>;

// The value of every parameter, in order, from --arg (and defaults). false and *err (a one-line
// message without "error: ") on an unknown name, a repeated name, a bad value, a missing value.
bool args_from_cli(const sgl_module& m, const ArgList& args, std::vector<ArgValue>* out, std::string* err);
// One --batch line: keys are parameter names; --arg values and defaults fill what it leaves out.
// *err names the key; the caller adds the file and line.
bool args_from_json(const sgl_module& m, const nlohmann::json& line, const ArgList& args,
                    std::vector<ArgValue>* out, std::string* err);
// The bits generated code expects (strings as sgl_str* in `a`).
uint64_t arg_bits(Arena& a, const ArgValue& v);

}  // namespace sgl
