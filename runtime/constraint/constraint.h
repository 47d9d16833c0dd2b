// Entry points that compile any constraint input (Rx, regex, JSON schema, choices, typed target)
// into a LazyDfa. Everything goes through compile(const Rx&): one representation, one compiler.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "json_schema.h"
#include "lazy_dfa.h"
#include "rx.h"

namespace sgl::constraint {

struct CompileOptions {
  NfaOptions nfa;
  size_t max_dfa_states = 200000;
};

// All of these throw ConstraintError for invalid, unsupported or too complex input.
std::shared_ptr<LazyDfa> compile(const Rx& rx, const CompileOptions& options = {});
std::shared_ptr<LazyDfa> compile_regex(std::string_view pattern,
                                       const CompileOptions& options = {});
std::shared_ptr<LazyDfa> compile_json_schema(std::string_view schema_text,
                                             const JsonSchemaOptions& schema_options = {},
                                             const CompileOptions& options = {});
std::shared_ptr<LazyDfa> compile_choices(const std::vector<std::string>& choices,
                                         const CompileOptions& options = {});

}  // namespace sgl::constraint
