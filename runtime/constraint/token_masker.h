// Computes and caches the token mask of each automaton state for one (constraint, vocabulary)
// pair: the per-request object the sampler asks "which tokens may come next?".
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "lazy_dfa.h"
#include "token_mask.h"
#include "token_trie.h"

namespace sgl::constraint {

class TokenMasker {
 public:
  struct Stats {
    uint64_t hits = 0, misses = 0;
    uint64_t walked_nodes = 0;  // trie nodes visited one by one by compute(), all calls
    uint64_t class_masks = 0;   // compute() calls that started from a class index mask
    uint64_t exact_subtrees = 0;  // subtrees whose tokens were picked by length (exact bound)
    size_t cached_states = 0, unique_masks = 0, bytes = 0;
  };

  // cache_bytes bounds the memory of cached masks (least recently used states are evicted; a
  // mask shared by several states counts once). Not thread-safe, like LazyDfa.
  TokenMasker(std::shared_ptr<LazyDfa> dfa, std::shared_ptr<const TokenTrie> trie,
              size_t cache_bytes = size_t{64} << 20);

  // Allowed tokens in `state`: a token is allowed iff its bytes keep the automaton live (so the
  // text stays a prefix of some match); EOS ids are allowed iff the state is accepting. The
  // returned mask stays valid while the caller holds it, even if evicted.
  std::shared_ptr<const TokenMask> mask(int32_t state);
  // Computes without the cache (for benchmarks and tests).
  TokenMask compute(int32_t state);
  // Bulk acceptance of whole trie subtrees and class-index masks (on by default); off = the
  // plain node-by-node walk, for tests that compare the two and for before/after benchmarks.
  void set_bulk(bool on) { bulk_ = on; }

  // The state after emitting `token` (its bytes); LazyDfa::kDead if it was not allowed. EOS ids
  // leave the state unchanged.
  int32_t advance(int32_t state, int32_t token);
  bool is_eos(int32_t token) const;

  LazyDfa& dfa() { return *dfa_; }
  const TokenTrie& trie() const { return *trie_; }
  const Stats& stats() const { return stats_; }

  // Character bounds of state s for TokenTrie::TextClass `cls` (characters started, texts cut
  // anywhere), each at most TokenTrie::kMaxExactChars: every class text of at most lo characters
  // keeps s live; exact = r >= 0 when s survives exactly the class texts of at most r characters
  // (a maxLength string r characters from its bound), else -1. Searches only as deep as `need`
  // characters: lo may stop there, and exact is -1 if r >= need. Memoised. Public for tests.
  struct CharBound {
    int lo, exact;
  };
  CharBound class_chars(int cls, int32_t s, int need = TokenTrie::kMaxExactChars);

 private:
  struct Entry {
    std::shared_ptr<const TokenMask> mask;
    std::list<int32_t>::iterator lru;
  };
  std::shared_ptr<const TokenMask> intern(TokenMask m);
  void evict();
  struct Chars {
    int8_t lo = -1;  // -1 unknown, -2 in progress
    int8_t exact = -1;
    bool limited = false;  // lo is only a bound, good for the need it was searched for
  };
  Chars search_chars(int cls, int32_t s, int need);
  CharBound known_chars(int cls, int32_t s) const;  // the memo only: {0, -1} if not searched
  // The node-by-node walk of `trie` from `state` (with bulk subtree acceptance when on), setting
  // allowed tokens in words.
  void walk(const TokenTrie& trie, int32_t state, uint32_t* words);

  std::shared_ptr<LazyDfa> dfa_;
  std::shared_ptr<const TokenTrie> trie_;
  size_t cache_bytes_;
  bool bulk_ = true;
  std::vector<int32_t> stack_;
  std::unordered_map<int32_t, Entry> by_state_;
  std::list<int32_t> lru_;  // front = most recently used
  std::unordered_multimap<uint64_t, std::shared_ptr<const TokenMask>> unique_;
  Stats stats_;
  // class_chars: memo per class and DFA state, and per class and text state one byte per
  // (DFA byte class, next text state).
  std::vector<Chars> chars_[TokenTrie::kTextClasses];
  std::vector<uint8_t> reps_[TokenTrie::kTextClasses][TokenTrie::kTextStates];
};

}  // namespace sgl::constraint
