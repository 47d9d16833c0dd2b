// The byte-level DFA of a constraint, materialised lazily: a state is a set of live NFA nodes and
// is created the first time some transition reaches it. Dead (non-live) NFA nodes never enter a
// state, so the only dead DFA state is the empty one, id 0.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "nfa.h"

namespace sgl::constraint {

// Not thread-safe: next() materialises states. Share one per constraint among requests served by
// one thread, or guard it with a lock.
class LazyDfa {
 public:
  static constexpr int32_t kDead = 0;

  // Throws ConstraintError if the constraint matches nothing at all. Materialising more than
  // max_states states throws ConstraintError("... too complex ...").
  explicit LazyDfa(std::shared_ptr<const Nfa> nfa, size_t max_states = 200000);

  int32_t start() const { return start_; }
  // The state after byte b; kDead when no match can continue with it.
  int32_t next(int32_t s, uint8_t b) {
    int32_t t = trans_[static_cast<size_t>(s) * nc_ + cls_[b]];
    return t >= 0 ? t : compute(s, b);
  }
  // Walks bytes from s; kDead as soon as one is rejected.
  int32_t walk(int32_t s, std::string_view bytes);
  bool accepting(int32_t s) const { return accept_[s] != 0; }
  bool full_match(std::string_view text) { return accepting(walk(start_, text)); }

  // The run of bytes forced from s: while s is not accepting and exactly one byte value leads to a
  // live state, that byte is appended (at most max_len bytes).
  std::string forced_bytes(int32_t s, size_t max_len = 4096);

  // Breadth-first materialisation of every reachable state, stopping after `limit` states;
  // returns true when the whole automaton fit.
  bool explore(size_t limit);

  size_t num_states() const { return accept_.size(); }
  const std::array<uint8_t, 256>& byte_class() const { return cls_; }
  // Raw transition table for hot loops: entry s * num_classes() + class, -1 = not computed yet
  // (call next() then, and re-read the pointer: next() may grow the table).
  const int32_t* table() const { return trans_.data(); }
  int num_classes() const { return nc_; }
  // Approximate heap bytes held by materialised states.
  size_t memory_bytes() const { return memory_; }

 private:
  int32_t compute(int32_t s, uint8_t b);
  void closure(int32_t node, std::vector<int32_t>& set, bool& accept);
  int32_t intern(std::vector<int32_t>& set, bool accept);

  std::shared_ptr<const Nfa> nfa_;
  std::array<uint8_t, 256> cls_;
  int nc_;
  size_t max_states_;
  int32_t start_ = kDead;
  std::vector<int32_t> trans_;                // num_states * nc_, -1 = not computed yet
  std::vector<std::vector<int32_t>> sets_;    // sorted live byte-range nodes per state
  std::vector<uint8_t> accept_;
  std::unordered_map<std::string, int32_t> index_;
  // compute(): targets by (state, which of its nodes take the byte), for states of <= 64 nodes.
  struct MatchKey {
    int32_t s;
    uint64_t match;
    bool operator==(const MatchKey&) const = default;
  };
  struct MatchHash {
    size_t operator()(const MatchKey& k) const {
      return std::hash<uint64_t>()(k.match * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(k.s));
    }
  };
  std::unordered_map<MatchKey, int32_t, MatchHash> by_match_;
  std::vector<uint32_t> visit_;               // closure marks, stamped with visit_gen_
  uint32_t visit_gen_ = 0;
  std::vector<int32_t> stack_;
  size_t memory_ = 0;
};

}  // namespace sgl::constraint
