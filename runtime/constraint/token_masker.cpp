// The mask walk: a preorder scan of the token trie carrying the automaton state per depth; a
// node whose byte leads to the dead state skips its whole subtree, so the cost is proportional
// to the number of live token prefixes, not to the vocabulary size. Subtrees of class text that
// the state survives are accepted whole, and states inside strings start from a precomputed
// class mask (class_chars.cpp, TokenTrie::class_index).
#include "token_masker.h"

#include <algorithm>

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
constexpr int kCharCap = TokenTrie::kMaxExactChars;
}  // namespace

bool TokenMasker::is_eos(int32_t token) const {
  const auto& eos = trie_->vocab().eos_ids;
  return std::find(eos.begin(), eos.end(), token) != eos.end();
}

// A state inside a string (free, or a few characters from its maxLength bound) allows, among
// the tokens of plain text of at most kMaxExactChars characters, exactly those of at most r
// characters (exact) or all of them (lo >= kMaxExactChars): their mask is precomputed per
// vocabulary (TokenTrie::class_index), and only the other tokens are walked.
TokenMask TokenMasker::compute(int32_t state) {
  const Vocabulary& vocab = trie_->vocab();
  TokenMask m(vocab.size());
  if (state == LazyDfa::kDead) return m;
  int r = -1;
  if (bulk_) {
    CharBound c = class_chars(TokenTrie::kPlain, state, kCharCap);
    r = c.exact >= 0 ? c.exact : c.lo >= kCharCap ? kCharCap : -1;
  }
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
  const uint8_t* tchars = trie.token_chars().data();
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
      // Every token below continues with class text of at most h characters. The character
      // bound is searched only as deep as needed; for taller subtrees (long runs of one
      // character, walked down anyway) a search would go kCharCap characters past every node
      // of the run, so only a bound already known is used there.
      const int h = x.bulk & 63, c = x.bulk >> 6;
      const CharBound b = h <= kCharCap ? class_chars(c, s, h) : known_chars(c, s);
      table = dfa.table();  // the search may have grown the table
      if (h <= b.lo) {
        // s survives all of them: every token below is allowed.
        for (uint32_t k = x.tok_begin, e = nd[x.end].tok_begin; k < e; ++k) {
          int32_t id = ids[k];
          words[static_cast<uint32_t>(id) >> 5] |= 1u << (id & 31);
        }
        i = x.end;
        continue;
      }
      if (b.exact >= 0) {
        // s survives exactly the continuations of at most r characters: a token below is
        // allowed iff it has at most r more characters than this node's prefix.
        const std::string& first = trie.vocab().tokens[static_cast<size_t>(ids[x.tok_begin])];
        int limit = b.exact;
        for (size_t k = 0; k < x.depth; ++k) limit += (static_cast<uint8_t>(first[k]) & 0xC0) != 0x80;
        ++stats_.exact_subtrees;
        for (uint32_t k = x.tok_begin, e = nd[x.end].tok_begin; k < e; ++k) {
          if (tchars[k] > limit) continue;
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
