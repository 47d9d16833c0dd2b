// TokenMasker::class_chars: how many characters of a text class (TokenTrie::TextClass) a DFA
// state survives, and whether it survives exactly the class texts up to some length (a string a
// few characters from its maxLength bound). compute() uses it at the root (class-index masks)
// and the walk at bulk nodes (whole subtrees of class text).
#include <algorithm>

#include "token_masker.h"

namespace sgl::constraint {

namespace {
constexpr int8_t kInProgress = -2;
constexpr int kCharCap = TokenTrie::kMaxExactChars;
}  // namespace

TokenMasker::CharBound TokenMasker::class_chars(int cls, int32_t s, int need) {
  need = std::min(need, kCharCap);
  auto& memo = chars_[cls];
  if (static_cast<size_t>(s) < memo.size()) {
    const Chars& c = memo[static_cast<size_t>(s)];
    if (c.lo >= 0 && (!c.limited || c.lo >= need)) return {c.lo, c.exact};
  }
  Chars c = search_chars(cls, s, need);
  return {c.lo, c.exact};
}

TokenMasker::CharBound TokenMasker::known_chars(int cls, int32_t s) const {
  const auto& memo = chars_[cls];
  if (static_cast<size_t>(s) >= memo.size() || memo[static_cast<size_t>(s)].lo < 0) return {0, -1};
  return {memo[static_cast<size_t>(s)].lo, memo[static_cast<size_t>(s)].exact};
}

// Depth-first over boundary states. If some one-character text (a lead byte alone, or a prefix
// of a character) dies, lo = 0, and the state is exact (r = 0) iff every one dies. Otherwise,
// over the boundary states t after one whole character: lo = 1 + min lo(t), and exact
// r = r' + 1 iff every t is exact with the same r' (a text of k >= 1 characters survives iff its
// rest of k - 1 characters survives from there). A self-loop (text that never dies) leaves lo
// alone and is not exact; a longer cycle (a state in progress) counts as lo 0, not exact.
// Values are capped at kCharCap. The search goes only `need` characters deep: a value that rests
// on where it stopped is marked limited (a lower bound, at least that need, not exact) and is
// searched again when more is needed.
TokenMasker::Chars TokenMasker::search_chars(int cls, int32_t s, int need) {
  LazyDfa& dfa = *dfa_;
  auto& memo = chars_[cls];
  auto slot = [&](int32_t x) -> Chars& {
    if (static_cast<size_t>(x) >= memo.size()) memo.resize(dfa.num_states() + 64);
    return memo[static_cast<size_t>(x)];
  };
  slot(s) = {kInProgress, -1, false};
  auto done = [&](Chars c) { return slot(s) = c; };
  bool live = false, dead = false;
  for (uint8_t b : reps_[cls][0]) (dfa.next(s, b) == LazyDfa::kDead ? dead : live) = true;
  if (!live) return done({0, 0, false});
  if (dead) return done({0, -1, false});
  // The rest of each character: every continuation must survive; collect where they end.
  struct Pair {
    int32_t d;
    uint8_t u;
  };
  std::vector<Pair> mid;
  std::vector<int32_t> after;  // boundary states after one whole character
  auto add = [&](int32_t t, uint8_t v) {
    if (v == 0) {
      if (std::find(after.begin(), after.end(), t) == after.end()) after.push_back(t);
      return;
    }
    for (const Pair& p : mid)
      if (p.d == t && p.u == v) return;
    mid.push_back({t, v});
  };
  for (uint8_t b : reps_[cls][0]) add(dfa.next(s, b), TokenTrie::text_next(cls, 0, b));
  for (size_t q = 0; q < mid.size(); ++q) {
    const Pair p = mid[q];
    for (uint8_t b : reps_[cls][p.u]) {
      int32_t t = dfa.next(p.d, b);
      if (t == LazyDfa::kDead) return done({0, -1, false});
      add(t, TokenTrie::text_next(cls, p.u, b));
    }
  }
  int lo = kCharCap, exact = -2;  // -2: no child yet
  bool limited = false, exact_ok = true;
  for (int32_t t : after) {
    if (t == s) {
      exact_ok = false;
      continue;
    }
    Chars c = slot(t);
    if (c.lo == kInProgress) {
      c = {0, -1, false};
    } else if (c.lo < 0 || (c.limited && c.lo < need - 1)) {
      c = need - 1 <= 0 ? Chars{0, -1, true} : search_chars(cls, t, need - 1);
    }
    lo = std::min(lo, c.lo + 1);
    limited = limited || c.limited;
    if (c.exact < 0 || (exact != -2 && c.exact != exact)) exact_ok = false;
    exact = c.exact;
  }
  // A limited child's bound is at least need - 1, so a minimum below need is not limited.
  limited = limited && lo >= need;
  exact = exact_ok && !limited && exact >= 0 && exact + 1 <= kCharCap ? exact + 1 : -1;
  return done({static_cast<int8_t>(lo), static_cast<int8_t>(exact), limited});
}

}  // namespace sgl::constraint
