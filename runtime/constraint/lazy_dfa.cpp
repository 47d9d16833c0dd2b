// Subset construction on demand. States are interned by their sorted node set (plus the accept
// bit), so equal sets reached by different paths are the same state and masks cached per state
// are shared.
#include "lazy_dfa.h"

#include <algorithm>
#include <cstring>
#include <deque>

#include "constraint_error.h"

namespace sgl::constraint {

LazyDfa::LazyDfa(std::shared_ptr<const Nfa> nfa, size_t max_states)
    : nfa_(std::move(nfa)), cls_(nfa_->byte_class()), nc_(nfa_->num_classes()),
      max_states_(max_states) {
  visit_.assign(nfa_->nodes().size(), 0);
  std::vector<int32_t> empty;
  intern(empty, false);  // state 0: dead
  std::vector<int32_t> set;
  bool accept = false;
  ++visit_gen_;
  closure(nfa_->start(), set, accept);
  start_ = intern(set, accept);
  if (start_ == kDead) throw ConstraintError("constraint matches nothing");
}

void LazyDfa::closure(int32_t node, std::vector<int32_t>& set, bool& accept) {
  const auto& nodes = nfa_->nodes();
  const auto& live = nfa_->live();
  const auto& eps = nfa_->eps_edges();
  stack_.clear();
  stack_.push_back(node);
  while (!stack_.empty()) {
    int32_t x = stack_.back();
    stack_.pop_back();
    if (!live[x] || visit_[x] == visit_gen_) continue;
    visit_[x] = visit_gen_;
    const Nfa::Node& n = nodes[x];
    switch (n.kind) {
      case Nfa::kByteRange: set.push_back(x); break;
      case Nfa::kMatch: accept = true; break;
      case Nfa::kEpsilon:
        for (uint32_t i = n.eps_count; i-- > 0;) stack_.push_back(eps[n.eps_begin + i]);
        break;
    }
  }
}

int32_t LazyDfa::intern(std::vector<int32_t>& set, bool accept) {
  std::sort(set.begin(), set.end());
  std::string key(set.size() * sizeof(int32_t) + 1, '\0');
  if (!set.empty()) std::memcpy(key.data(), set.data(), set.size() * sizeof(int32_t));
  key.back() = accept ? 1 : 0;
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  if (accept_.size() >= max_states_)
    throw ConstraintError("constraint too complex: more than " + std::to_string(max_states_) +
                          " automaton states");
  int32_t id = static_cast<int32_t>(accept_.size());
  memory_ += key.size() * 2 + static_cast<size_t>(nc_) * sizeof(int32_t) + 64;
  index_.emplace(std::move(key), id);
  sets_.push_back(set);
  accept_.push_back(accept ? 1 : 0);
  // The dead state loops to itself; others start with every transition unknown.
  trans_.resize(trans_.size() + static_cast<size_t>(nc_), id == kDead ? kDead : -1);
  return id;
}

int32_t LazyDfa::compute(int32_t s, uint8_t b) {
  const auto& nodes = nfa_->nodes();
  const std::vector<int32_t>& from = sets_[s];
  // The target depends only on which of s's nodes take b: byte classes that match the same
  // nodes (inside a string, every ordinary ASCII character) share one closure and lookup.
  uint64_t match = 0;
  const bool small = from.size() <= 64;
  if (small) {
    for (size_t i = 0; i < from.size(); ++i) {
      const Nfa::Node& n = nodes[from[i]];
      match |= static_cast<uint64_t>(n.lo <= b && b <= n.hi) << i;
    }
    auto it = by_match_.find({s, match});
    if (it != by_match_.end()) return trans_[static_cast<size_t>(s) * nc_ + cls_[b]] = it->second;
  }
  std::vector<int32_t> set;
  bool accept = false;
  ++visit_gen_;
  for (int32_t x : from) {
    const Nfa::Node& n = nodes[x];
    if (n.lo <= b && b <= n.hi) closure(n.out, set, accept);
  }
  int32_t t = intern(set, accept);
  trans_[static_cast<size_t>(s) * nc_ + cls_[b]] = t;
  if (small) {
    by_match_.emplace(MatchKey{s, match}, t);
    memory_ += 32;
  }
  return t;
}

int32_t LazyDfa::walk(int32_t s, std::string_view bytes) {
  for (char c : bytes) {
    if (s == kDead) return kDead;
    s = next(s, static_cast<uint8_t>(c));
  }
  return s;
}

std::string LazyDfa::forced_bytes(int32_t s, size_t max_len) {
  std::string out;
  while (s != kDead && !accepting(s) && out.size() < max_len) {
    int count = 0;
    int32_t only = kDead;
    uint8_t byte = 0;
    for (int b = 0; b < 256 && count < 2; ++b) {
      int32_t t = next(s, static_cast<uint8_t>(b));
      if (t != kDead) {
        ++count;
        only = t;
        byte = static_cast<uint8_t>(b);
      }
    }
    if (count != 1) break;
    out += static_cast<char>(byte);
    s = only;
  }
  return out;
}

bool LazyDfa::explore(size_t limit) {
  std::vector<uint8_t> seen(num_states(), 0);
  std::deque<int32_t> queue = {start_};
  size_t visited = 0;
  // One representative byte per class is enough: bytes in a class behave alike.
  std::vector<uint8_t> reps;
  for (int b = 0, last = -1; b < 256; ++b) {
    if (cls_[b] != last) {
      reps.push_back(static_cast<uint8_t>(b));
      last = cls_[b];
    }
  }
  while (!queue.empty()) {
    int32_t s = queue.front();
    queue.pop_front();
    if (static_cast<size_t>(s) < seen.size() && seen[s]) continue;
    if (seen.size() <= static_cast<size_t>(s)) seen.resize(s + 1, 0);
    seen[s] = 1;
    if (++visited > limit) return false;
    for (uint8_t b : reps) {
      int32_t t = next(s, b);
      if (t != kDead && (static_cast<size_t>(t) >= seen.size() || !seen[t])) queue.push_back(t);
    }
  }
  return true;
}

}  // namespace sgl::constraint
