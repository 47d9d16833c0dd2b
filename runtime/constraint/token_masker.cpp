// The mask walk: a preorder scan of the token trie carrying the automaton state per depth; a
// node whose byte leads to the dead state skips its whole subtree, so the cost is proportional
// to the number of live token prefixes, not to the vocabulary size.
#include "token_masker.h"

#include <algorithm>
#include <limits>

namespace sgl::constraint {

TokenMasker::TokenMasker(std::shared_ptr<LazyDfa> dfa, std::shared_ptr<const TokenTrie> trie,
                         size_t cache_bytes)
    : dfa_(std::move(dfa)), trie_(std::move(trie)), cache_bytes_(cache_bytes) {
  const auto& cls = dfa_->byte_class();
  for (int c = 0; c < TokenTrie::kTextClasses; ++c)
    for (int u = 0; u < TokenTrie::kTextStates; ++u) {
      std::vector<uint16_t> seen;  // (DFA class << 8 | next text state) already represented
      for (int b = 0; b < 256; ++b) {
        uint8_t v = TokenTrie::text_next(c, u, static_cast<uint8_t>(b));
        if (v == TokenTrie::kTextDead) continue;
        uint16_t key = static_cast<uint16_t>(cls[static_cast<size_t>(b)] << 8 | v);
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(key);
        reps_[c][u].push_back(static_cast<uint8_t>(b));
      }
    }
}

namespace {
constexpr int8_t kUnknown = -1, kInProgress = -2, kNotExact = -3;
constexpr int kTooDeep = -4;  // search_exact_chars: gave up at the nesting cap, nothing memoised
// Nested searches (one per boundary state met, e.g. each position of a maxLength counter) stop
// nesting here and search on themselves; a search gives up after this many (state, text state)
// pairs, keeping what it has proved so far.
constexpr int kMaxNesting = 80;
constexpr size_t kMaxPairs = 512;
// Depths are proved up to this many bytes: deeper searches materialise many DFA states (in a
// length counter, every text state at every position), which costs more than walking the few
// subtrees taller than this node by node until their parts are short enough.
#ifndef SGL_TEXT_DEPTH_CAP
#define SGL_TEXT_DEPTH_CAP 24
#endif
constexpr int kDepthCap = std::min(SGL_TEXT_DEPTH_CAP, TokenTrie::kMaxBulkHeight);
}  // namespace

int TokenMasker::text_depth(int cls, int32_t s) {
  auto& memo = depth_[cls];
  if (static_cast<size_t>(s) < memo.size() && memo[static_cast<size_t>(s)] >= 0) return memo[static_cast<size_t>(s)];
  return search_text_depth(cls, s, 0);
}

// Breadth-first search of the product of the DFA from s and the class's text automaton from its
// boundary state. A dead DFA transition found at distance k means some text of k + 1 bytes kills
// s (and none shorter does). A boundary pair (t, 0) reached at distance k with a known depth
// d(t) is not expanded: every text through it survives at least k + d(t) bytes. Depths met that
// are not known yet are searched first (memoised), so the states of a length counter cost one
// level each. Every value stored is a proved lower bound, capped at kDepthCap.
int TokenMasker::search_text_depth(int cls, int32_t s, int level) {
  LazyDfa& dfa = *dfa_;
  auto& memo = depth_[cls];
  auto slot = [&](int32_t x) -> int8_t& {
    if (static_cast<size_t>(x) >= memo.size()) memo.resize(dfa.num_states() + 64, kUnknown);
    return memo[static_cast<size_t>(x)];
  };
  slot(s) = kInProgress;
  struct Item {
    int32_t d;
    uint8_t u;
    int dist;
  };
  std::vector<Item> queue = {{s, 0, 0}};
  int best = kDepthCap;
  for (size_t q = 0; q < queue.size(); ++q) {
    const Item it = queue[q];
    if (it.dist >= best) break;  // everything later is at least this far
    if (q >= kMaxPairs) {        // texts of up to it.dist bytes are proved
      best = it.dist;
      break;
    }
    bool dead = false;
    for (uint8_t b : reps_[cls][it.u]) {
      int32_t t = dfa.next(it.d, b);
      if (t == LazyDfa::kDead) {
        dead = true;
        break;
      }
      uint8_t v = TokenTrie::text_next(cls, it.u, b);
      bool seen = false;
      for (const Item& x : queue) seen = seen || (x.d == t && x.u == v);
      if (seen) continue;
      if (v == 0) {
        int8_t known = slot(t);
        if (known == kUnknown && level < kMaxNesting) known = static_cast<int8_t>(search_text_depth(cls, t, level + 1));
        if (known >= 0) {
          best = std::min(best, it.dist + 1 + known);
          queue.push_back({t, v, std::numeric_limits<int>::max()});  // seen, never expanded
          continue;
        }
      }
      queue.push_back({t, v, it.dist + 1});
    }
    if (dead) {
      best = std::min(best, it.dist);
      break;
    }
  }
  slot(s) = static_cast<int8_t>(best);
  return best;
}

int TokenMasker::exact_chars(int cls, int32_t s) {
  auto& memo = exact_[cls];
  if (static_cast<size_t>(s) < memo.size() && memo[static_cast<size_t>(s)] != kUnknown)
    return std::max<int>(memo[static_cast<size_t>(s)], -1);
  return std::max(search_exact_chars(cls, s, 0), -1);
}

// Depth-first over boundary states. Every one-character text (a lead byte alone, or any prefix
// of a character) must die, giving r = 0, or all must survive; then the boundary states after
// one whole character must all have the same exact r', giving r = r' + 1 (a text of k >= 1
// characters survives iff its rest of k - 1 characters survives from there, iff k - 1 <= r').
// Anything else, a cycle (in progress) or more than kMaxExactChars characters is "not exact"
// (-1), which only means "walk instead". Returns r, -1 or kTooDeep.
int TokenMasker::search_exact_chars(int cls, int32_t s, int level) {
  LazyDfa& dfa = *dfa_;
  auto& memo = exact_[cls];
  auto slot = [&](int32_t x) -> int8_t& {
    if (static_cast<size_t>(x) >= memo.size()) memo.resize(dfa.num_states() + 64, kUnknown);
    return memo[static_cast<size_t>(x)];
  };
  slot(s) = kInProgress;
  auto done = [&](int r) {
    slot(s) = static_cast<int8_t>(r < 0 ? kNotExact : r);
    return r < 0 ? -1 : r;
  };
  bool live = false, dead = false;
  for (uint8_t b : reps_[cls][0]) (dfa.next(s, b) == LazyDfa::kDead ? dead : live) = true;
  if (!live) return done(0);
  if (dead) return done(-1);
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
      if (t == LazyDfa::kDead) return done(-1);
      add(t, TokenTrie::text_next(cls, p.u, b));
    }
  }
  int r = -1;
  for (int32_t t : after) {
    int8_t known = slot(t);
    int rt;
    if (known == kInProgress || known == kNotExact) return done(-1);
    if (known >= 0) {
      rt = known;
    } else {
      // Too deep from here (a chain longer than the cap, or a long way round to it): not
      // memoised, so that a later query from nearer the bound still finds the answer.
      if (level >= TokenTrie::kMaxExactChars) rt = kTooDeep;
      else rt = search_exact_chars(cls, t, level + 1);
      if (rt == kTooDeep) {
        slot(s) = kUnknown;
        return kTooDeep;
      }
    }
    if (rt < 0 || (r >= 0 && rt != r)) return done(-1);
    r = rt;
  }
  if (r < 0 || r + 1 > TokenTrie::kMaxExactChars) return done(-1);
  return done(r + 1);
}

bool TokenMasker::is_eos(int32_t token) const {
  const auto& eos = trie_->vocab().eos_ids;
  return std::find(eos.begin(), eos.end(), token) != eos.end();
}

// A state inside a string a few characters from its maxLength bound allows, among the tokens
// of plain text, exactly those of at most that many characters: their mask is precomputed per
// vocabulary (TokenTrie::class_index), and only the other tokens are walked. Tried only where
// the depth search found plain text that kills the state within kDepthCap bytes (otherwise bulk
// acceptance already covers nearly every subtree, and the exact search would go deep).
TokenMask TokenMasker::compute(int32_t state) {
  const Vocabulary& vocab = trie_->vocab();
  TokenMask m(vocab.size());
  if (state == LazyDfa::kDead) return m;
  int r = -1;
  if (bulk_ && text_depth(TokenTrie::kPlain, state) < kDepthCap) r = exact_chars(TokenTrie::kPlain, state);
  if (r >= 0) {
    const TokenTrie::ClassIndex& ix = trie_->class_index(TokenTrie::kPlain);
    m.words = ix.up_to[static_cast<size_t>(r)].words;
    ++stats_.class_masks;
    walk(*ix.rest, state, m.words.data());
  } else {
    walk(*trie_, state, m.words.data());
  }
  if (dfa_->accepting(state))
    for (int32_t e : vocab.eos_ids) m.set(e);
  return m;
}

void TokenMasker::walk(const TokenTrie& trie, int32_t state, uint32_t* words) {
  const auto& nodes = trie.nodes();
  const int32_t* ids = trie.token_ids().data();
  const TokenTrie::Node* nd = nodes.data();
  LazyDfa& dfa = *dfa_;
  size_t n = nodes.size() - 1;  // last node is the sentinel
  stack_.resize(70000);
  int32_t* st = stack_.data();
  st[0] = state;
  // The hot loop reads the transition table directly; only a miss goes through next().
  const int32_t* table = dfa.table();
  const uint8_t* cls = dfa.byte_class().data();
  const size_t nc = static_cast<size_t>(dfa.num_classes());
  uint64_t walked = 0;
  for (size_t i = 1; i < n;) {
    const TokenTrie::Node& x = nd[i];
    ++walked;
    int32_t p = st[x.depth - 1];
    int32_t s = table[static_cast<size_t>(p) * nc + cls[x.byte]];
    if (s < 0) {
      s = dfa.next(p, x.byte);
      table = dfa.table();
    }
    if (s == LazyDfa::kDead) {
      i = x.end;
      continue;
    }
    if (x.bulk != TokenTrie::kNoBulk && (x.bulk & 63) > 0 && bulk_) {
      bool all = (x.bulk & 63) <= text_depth(x.bulk >> 6, s);
      table = dfa.table();  // the search may have grown the table
      if (all) {
        // Every token below continues with at most that many bytes of text of that class,
        // which s survives: all of them are allowed.
        for (uint32_t k = x.tok_begin, e = nd[x.end].tok_begin; k < e; ++k) {
          int32_t id = ids[k];
          words[static_cast<uint32_t>(id) >> 5] |= 1u << (id & 31);
        }
        i = x.end;
        continue;
      }
    }
    st[x.depth] = s;
    for (uint32_t k = x.tok_begin, e = nd[i + 1].tok_begin; k < e; ++k) {
      int32_t id = ids[k];
      words[static_cast<uint32_t>(id) >> 5] |= 1u << (id & 31);
    }
    ++i;
  }
  stats_.walked_nodes += walked;
}

std::shared_ptr<const TokenMask> TokenMasker::intern(TokenMask m) {
  uint64_t h = 1469598103934665603ull;
  for (uint32_t w : m.words) h = (h ^ w) * 1099511628211ull;
  auto range = unique_.equal_range(h);
  for (auto it = range.first; it != range.second; ++it)
    if (*it->second == m) return it->second;
  auto p = std::make_shared<const TokenMask>(std::move(m));
  unique_.emplace(h, p);
  stats_.bytes += p->words.size() * sizeof(uint32_t);
  return p;
}

void TokenMasker::evict() {
  while (stats_.bytes > cache_bytes_ && !lru_.empty()) {
    int32_t victim = lru_.back();
    lru_.pop_back();
    by_state_.erase(victim);
    // Drop unique masks no state refers to any more.
    for (auto it = unique_.begin(); it != unique_.end();) {
      if (it->second.use_count() == 1) {
        stats_.bytes -= it->second->words.size() * sizeof(uint32_t);
        it = unique_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

std::shared_ptr<const TokenMask> TokenMasker::mask(int32_t state) {
  auto it = by_state_.find(state);
  if (it != by_state_.end()) {
    ++stats_.hits;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.mask;
  }
  ++stats_.misses;
  auto p = intern(compute(state));
  lru_.push_front(state);
  by_state_.emplace(state, Entry{p, lru_.begin()});
  evict();
  stats_.cached_states = by_state_.size();
  stats_.unique_masks = unique_.size();
  return p;
}

int32_t TokenMasker::advance(int32_t state, int32_t token) {
  if (is_eos(token)) return dfa_->accepting(state) ? state : LazyDfa::kDead;
  const Vocabulary& vocab = trie_->vocab();
  if (token < 0 || static_cast<size_t>(token) >= vocab.size()) return LazyDfa::kDead;
  if (vocab.special[token] && !trie_->include_special()) return LazyDfa::kDead;
  if (vocab.tokens[token].empty()) return LazyDfa::kDead;
  return dfa_->walk(state, vocab.tokens[token]);
}

}  // namespace sgl::constraint
