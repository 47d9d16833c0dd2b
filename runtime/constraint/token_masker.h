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

  // The state after emitting `token` (its bytes); LazyDfa::kDead if it was not allowed. EOS ids
  // leave the state unchanged.
  int32_t advance(int32_t state, int32_t token);
  bool is_eos(int32_t token) const;

  LazyDfa& dfa() { return *dfa_; }
  const TokenTrie& trie() const { return *trie_; }
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    std::shared_ptr<const TokenMask> mask;
    std::list<int32_t>::iterator lru;
  };
  std::shared_ptr<const TokenMask> intern(TokenMask m);
  void evict();

  std::shared_ptr<LazyDfa> dfa_;
  std::shared_ptr<const TokenTrie> trie_;
  size_t cache_bytes_;
  std::vector<int32_t> stack_;
  std::unordered_map<int32_t, Entry> by_state_;
  std::list<int32_t> lru_;  // front = most recently used
  std::unordered_multimap<uint64_t, std::shared_ptr<const TokenMask>> unique_;
  Stats stats_;
};

}  // namespace sgl::constraint
