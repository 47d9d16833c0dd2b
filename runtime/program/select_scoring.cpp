// The select decision rules (see select_scoring.h and ../shared/design/SELECT_ORACLE.md).
#include "select_scoring.h"

#include <algorithm>

namespace sgl {

double mean_logprob(const std::vector<double>& v) {
  if (v.empty()) return 0.0;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

size_t argmax_first(const std::vector<double>& scores) {
  size_t best = 0;
  for (size_t i = 1; i < scores.size(); ++i)
    if (scores[i] > scores[best]) best = i;
  return best;
}

size_t select_greedy(const std::vector<std::vector<double>>& cond) {
  if (cond.empty()) return 0;
  size_t width = 0;
  for (const auto& r : cond) width = std::max(width, r.size());
  std::vector<std::vector<double>> m;
  for (const auto& r : cond) {
    std::vector<double> row = r;
    row.resize(width, mean_logprob(r));
    m.push_back(std::move(row));
  }
  std::vector<size_t> alive(cond.size());
  for (size_t i = 0; i < alive.size(); ++i) alive[i] = i;
  for (size_t col = 0; col < width && alive.size() > 1; ++col) {
    double best = m[alive[0]][col];
    for (size_t i : alive) best = std::max(best, m[i][col]);
    std::vector<size_t> keep;
    for (size_t i : alive)
      if (m[i][col] == best) keep.push_back(i);
    alive = std::move(keep);
  }
  return alive[0];
}

std::vector<double> unconditional_scores(const std::vector<ChoiceLogprobs>& c) {
  std::vector<double> s;
  for (const ChoiceLogprobs& x : c) {
    std::vector<double> d(x.cond.size());
    for (size_t i = 0; i < d.size(); ++i) d[i] = x.cond[i] - (i > 0 && i < x.uncond.size() ? x.uncond[i] : 0.0);
    s.push_back(mean_logprob(d));
  }
  return s;
}

size_t select_choice(SelectMethod method, const std::vector<ChoiceLogprobs>& c, std::vector<double>* scores) {
  std::vector<double> means;
  for (const ChoiceLogprobs& x : c) means.push_back(mean_logprob(x.cond));
  size_t win;
  switch (method) {
    case SelectMethod::Greedy: {
      std::vector<std::vector<double>> rows;
      for (const ChoiceLogprobs& x : c) rows.push_back(x.cond);
      win = select_greedy(rows);
      break;
    }
    case SelectMethod::Unconditional:
      means = unconditional_scores(c);
      win = argmax_first(means);
      break;
    default: win = argmax_first(means); break;
  }
  if (scores) *scores = means;
  return win;
}

}  // namespace sgl
