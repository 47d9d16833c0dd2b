#include "sema_options.h"

#include <algorithm>
#include <limits>

namespace sgl {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

const std::vector<OptionSpec>& gen_options() {
  static const std::vector<OptionSpec> table = {
      {"max_tokens", OptionType::Int, 0, kInf},
      {"min_tokens", OptionType::Int, 0, kInf},
      {"stop", OptionType::StrOrStrList, 0, 0},
      {"stop_token_ids", OptionType::IntList, 0, 0},
      {"temperature", OptionType::Float, 0, kInf},
      {"top_p", OptionType::Float, 0, 1},
      {"top_k", OptionType::Int, -1, kInf},
      {"min_p", OptionType::Float, 0, 1},
      {"frequency_penalty", OptionType::Float, -2, 2},
      {"presence_penalty", OptionType::Float, -2, 2},
      {"ignore_eos", OptionType::Bool, 0, 0},
      {"regex", OptionType::Regex, 0, 0},
      {"json", OptionType::JsonSchema, 0, 0},
      {"seed", OptionType::Int, 0, kInf},
      {"logprobs", OptionType::Bool, 0, 0},
      {"top_logprobs", OptionType::Int, 0, 20},
  };
  return table;
}

const std::vector<OptionSpec>& select_options() {
  static const std::vector<OptionSpec> table = {
      {"method", OptionType::SelectMethod, 0, 0},
  };
  return table;
}

const OptionSpec* find_option(const std::vector<OptionSpec>& table, const std::string& name) {
  for (const OptionSpec& o : table)
    if (name == o.name) return &o;
  return nullptr;
}

std::string describe(OptionType t) {
  switch (t) {
    case OptionType::Int: return "an int";
    case OptionType::Float: return "a float";
    case OptionType::Bool: return "a bool";
    case OptionType::StrOrStrList: return "a str or a list[str]";
    case OptionType::IntList: return "a list[int]";
    case OptionType::Regex: return "a /regex/";
    case OptionType::JsonSchema: return "a str holding a JSON schema";
    case OptionType::SelectMethod: return "\"token_length_normalized\", \"greedy\" or \"unconditional\"";
  }
  return "?";
}

static size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_name(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = name.size() <= 3 ? 1 : name.size() <= 6 ? 2 : 3;
  for (const std::string& c : candidates) {
    if (c == name) continue;
    size_t d = edit_distance(name, c);
    if (d <= best_d && (best.empty() || d < edit_distance(name, best))) {
      best = c;
      best_d = d;
    }
  }
  return best;
}

}  // namespace sgl
