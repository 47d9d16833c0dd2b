// Test helpers that generate strings from a constraint automaton: random walks that end in an
// accepting state, and the shortest completion from a state (the witness that a prefix is live).
#pragma once

#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "lazy_dfa.h"

namespace sgl::constraint::testing {

// Shortest byte string that takes s to an accepting state (s must be live).
inline std::string shortest_completion(LazyDfa& dfa, int32_t s) {
  std::map<int32_t, std::pair<int32_t, uint8_t>> parent;
  std::deque<int32_t> queue = {s};
  parent[s] = {-1, 0};
  while (!queue.empty()) {
    int32_t x = queue.front();
    queue.pop_front();
    if (dfa.accepting(x)) {
      std::string out;
      for (int32_t y = x; parent[y].first >= 0; y = parent[y].first) out += static_cast<char>(parent[y].second);
      return std::string(out.rbegin(), out.rend());
    }
    for (int b = 0; b < 256; ++b) {
      int32_t t = dfa.next(x, static_cast<uint8_t>(b));
      if (t != LazyDfa::kDead && !parent.count(t)) {
        parent[t] = {x, static_cast<uint8_t>(b)};
        queue.push_back(t);
      }
    }
  }
  return {};
}

// A random string in the constraint's language: random live bytes for up to ~soft_len bytes
// (stopping early at accepting states with probability 1/8), then the shortest completion.
inline std::string random_match(LazyDfa& dfa, std::mt19937& rng, size_t soft_len = 80) {
  std::string out;
  int32_t s = dfa.start();
  while (out.size() < soft_len) {
    if (dfa.accepting(s) && rng() % 8 == 0) return out;
    std::vector<uint8_t> live;
    for (int b = 0; b < 256; ++b)
      if (dfa.next(s, static_cast<uint8_t>(b)) != LazyDfa::kDead) live.push_back(static_cast<uint8_t>(b));
    if (live.empty()) break;
    // Favour ASCII so that walks look like text rather than long multi-byte runs.
    std::vector<uint8_t> ascii;
    for (uint8_t b : live) if (b < 0x80) ascii.push_back(b);
    const auto& pick = (!ascii.empty() && rng() % 4 != 0) ? ascii : live;
    uint8_t b = pick[rng() % pick.size()];
    out += static_cast<char>(b);
    s = dfa.next(s, b);
  }
  return out + shortest_completion(dfa, s);
}

}  // namespace sgl::constraint::testing
