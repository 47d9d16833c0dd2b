// How `select` picks a choice from the model's log-probabilities, per SGLang's choices methods
// (token_length_normalized, greedy, unconditional_likelihood_normalized). Pure functions, so the
// decision is tested against a fixed oracle table without a model.
#pragma once

#include <cstddef>
#include <vector>

#include "backend.h"

namespace sgl {

// Log-probabilities of one choice's tokens: given the prompt (cond) and, for the unconditional
// method, given only the choice's own earlier tokens (uncond; its first entry counts as 0).
struct ChoiceLogprobs {
  std::vector<double> cond;
  std::vector<double> uncond;
};

double mean_logprob(const std::vector<double>& v);  // 0 for an empty row

// The index of the highest score (the first on ties).
size_t argmax_first(const std::vector<double>& scores);
// Greedy: compare column by column, rows padded with their own mean to the longest row; keep the
// rows equal to the column maximum until one is left (ties: the first).
size_t select_greedy(const std::vector<std::vector<double>>& cond);
// Unconditional: the mean of (cond - uncond) per choice.
std::vector<double> unconditional_scores(const std::vector<ChoiceLogprobs>& c);

// The winner for `method`; *scores (if given) receives the score the method compared (for greedy:
// the normalised means).
size_t select_choice(SelectMethod method, const std::vector<ChoiceLogprobs>& c, std::vector<double>* scores = nullptr);

}  // namespace sgl
