// Builds the NFA in continuation-passing style, from the end of the expression backwards:
// build(rx, next) returns the entry of rx's fragment whose exit is `next`. Memoising on
// (node, next) makes shared subtrees (e.g. the tails of an object with optional properties) cost
// their size once instead of once per use.
#include "nfa.h"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>

#include "constraint_error.h"

namespace sgl::constraint {

namespace {

void split_utf8(char32_t lo, char32_t hi, std::vector<std::vector<ByteRange>>& out) {
  static const char32_t kLenMax[] = {0x7F, 0x7FF, 0xFFFF};
  for (char32_t m : kLenMax) {
    if (lo <= m && hi > m) {
      split_utf8(lo, m, out);
      split_utf8(m + 1, hi, out);
      return;
    }
  }
  if (hi < 0x80) {
    out.push_back({{static_cast<uint8_t>(lo), static_cast<uint8_t>(hi)}});
    return;
  }
  int n = hi < 0x800 ? 2 : hi < 0x10000 ? 3 : 4;
  // Split until lo and hi differ only in positions where lo's suffix is all-zero bits and hi's
  // suffix all-one bits, so that each byte position is an independent range.
  for (int i = 1; i < n; ++i) {
    char32_t m = (char32_t{1} << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        split_utf8(lo, lo | m, out);
        split_utf8((lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) != m) {
        split_utf8(lo, (hi & ~m) - 1, out);
        split_utf8(hi & ~m, hi, out);
        return;
      }
    }
  }
  std::string a, b;
  append_utf8(a, lo);
  append_utf8(b, hi);
  std::vector<ByteRange> seq;
  for (int i = 0; i < n; ++i)
    seq.push_back({static_cast<uint8_t>(a[i]), static_cast<uint8_t>(b[i])});
  out.push_back(std::move(seq));
}

}  // namespace

std::vector<std::vector<ByteRange>> utf8_sequences(const std::vector<CodeRange>& ranges) {
  std::vector<std::vector<ByteRange>> out;
  for (CodeRange r : normalize_ranges(ranges)) {
    // Drop the surrogates: they have no UTF-8 encoding.
    if (r.lo <= 0xDFFF && r.hi >= 0xD800) {
      if (r.lo < 0xD800) split_utf8(r.lo, 0xD7FF, out);
      if (r.hi > 0xDFFF) split_utf8(0xE000, r.hi, out);
    } else {
      split_utf8(r.lo, std::min(r.hi, kMaxCodePoint), out);
    }
  }
  return out;
}

class NfaBuilder {
 public:
  NfaBuilder(Nfa& nfa, const NfaOptions& options) : nfa_(nfa), max_(options.max_nodes) {}

  int32_t add(Nfa::Node n) {
    if (nfa_.nodes_.size() >= max_)
      throw ConstraintError("constraint too complex: automaton exceeds " + std::to_string(max_) +
                            " states (lower repetition counts, maxLength or maxItems)");
    nfa_.nodes_.push_back(n);
    return static_cast<int32_t>(nfa_.nodes_.size() - 1);
  }
  int32_t byte_range(uint8_t lo, uint8_t hi, int32_t out) {
    return add({Nfa::kByteRange, lo, hi, out, 0, 0});
  }
  // An epsilon node with `count` successor slots, filled in by the caller.
  int32_t epsilon(uint32_t count) {
    uint32_t begin = static_cast<uint32_t>(nfa_.eps_.size());
    nfa_.eps_.resize(begin + count, -1);
    return add({Nfa::kEpsilon, 0, 0, -1, begin, count});
  }
  void set_eps(int32_t node, uint32_t i, int32_t target) {
    nfa_.eps_[nfa_.nodes_[node].eps_begin + i] = target;
  }

  int32_t build(const Rx& rx, int32_t next) {
    const RxNode* n = rx.get();
    bool memo = n->kind == RxKind::Concat || n->kind == RxKind::Alt ||
                n->kind == RxKind::Repeat || n->kind == RxKind::Chars;
    if (memo) {
      auto it = memo_.find({n, next});
      if (it != memo_.end()) return it->second;
    }
    int32_t entry = build_uncached(rx, next);
    if (memo) memo_.emplace(std::make_pair(n, next), entry);
    return entry;
  }

 private:
  struct KeyHash {
    size_t operator()(const std::pair<const RxNode*, int32_t>& k) const {
      return std::hash<const void*>()(k.first) * 31 + static_cast<size_t>(k.second);
    }
  };

  int32_t build_uncached(const Rx& rx, int32_t next) {
    switch (rx->kind) {
      case RxKind::Empty: return next;
      case RxKind::Nothing: {
        // An epsilon node with no successors: it can never reach the match and gets pruned.
        return epsilon(0);
      }
      case RxKind::Literal: {
        int32_t cur = next;
        for (size_t i = rx->text.size(); i-- > 0;) {
          uint8_t b = static_cast<uint8_t>(rx->text[i]);
          cur = byte_range(b, b, cur);
        }
        return cur;
      }
      case RxKind::Chars: {
        auto seqs = utf8_sequences(rx->ranges);
        // Share common tails ([80-BF] continuation bytes) between sequences.
        std::map<std::tuple<uint8_t, uint8_t, int32_t>, int32_t> shared;
        std::vector<int32_t> entries;
        for (const auto& seq : seqs) {
          int32_t cur = next;
          for (size_t i = seq.size(); i-- > 0;) {
            auto key = std::make_tuple(seq[i].lo, seq[i].hi, cur);
            auto it = shared.find(key);
            if (it != shared.end()) {
              cur = it->second;
            } else {
              cur = byte_range(seq[i].lo, seq[i].hi, cur);
              shared.emplace(key, cur);
            }
          }
          entries.push_back(cur);
        }
        std::sort(entries.begin(), entries.end());
        entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
        if (entries.size() == 1) return entries[0];
        int32_t e = epsilon(static_cast<uint32_t>(entries.size()));
        for (size_t i = 0; i < entries.size(); ++i) set_eps(e, static_cast<uint32_t>(i), entries[i]);
        return e;
      }
      case RxKind::Concat: {
        int32_t cur = next;
        for (size_t i = rx->kids.size(); i-- > 0;) cur = build(rx->kids[i], cur);
        return cur;
      }
      case RxKind::Alt: {
        std::vector<int32_t> entries;
        for (const Rx& k : rx->kids) entries.push_back(build(k, next));
        int32_t e = epsilon(static_cast<uint32_t>(entries.size()));
        for (size_t i = 0; i < entries.size(); ++i) set_eps(e, static_cast<uint32_t>(i), entries[i]);
        return e;
      }
      case RxKind::Repeat: {
        const Rx& kid = rx->kids[0];
        int32_t cur;
        if (rx->max == kUnbounded) {
          // loop: either one more kid (returning to the loop) or leave.
          int32_t loop = epsilon(2);
          set_eps(loop, 0, build(kid, loop));
          set_eps(loop, 1, next);
          cur = loop;
        } else {
          // max-min nested optionals: (kid (kid (...)?)?)? keeps the NFA linear and unambiguous.
          cur = next;
          for (uint32_t i = rx->min; i < rx->max; ++i) {
            int32_t opt = epsilon(2);
            set_eps(opt, 0, build(kid, cur));
            set_eps(opt, 1, next);
            cur = opt;
          }
        }
        for (uint32_t i = 0; i < rx->min; ++i) cur = build(kid, cur);
        return cur;
      }
    }
    return next;
  }

  Nfa& nfa_;
  size_t max_;
  std::unordered_map<std::pair<const RxNode*, int32_t>, int32_t, KeyHash> memo_;
};

Nfa Nfa::build(const Rx& rx, const NfaOptions& options) {
  Nfa nfa;
  NfaBuilder b(nfa, options);
  int32_t match = b.add({kMatch, 0, 0, -1, 0, 0});
  nfa.start_ = b.build(rx, match);

  // Prune: a node is live if the match is reachable from it (reverse reachability).
  size_t n = nfa.nodes_.size();
  std::vector<std::vector<int32_t>> rev(n);
  for (size_t i = 0; i < n; ++i) {
    const Node& node = nfa.nodes_[i];
    if (node.kind == kByteRange) {
      rev[node.out].push_back(static_cast<int32_t>(i));
    } else if (node.kind == kEpsilon) {
      for (uint32_t j = 0; j < node.eps_count; ++j)
        rev[nfa.eps_[node.eps_begin + j]].push_back(static_cast<int32_t>(i));
    }
  }
  nfa.live_.assign(n, 0);
  std::vector<int32_t> stack = {match};
  nfa.live_[match] = 1;
  while (!stack.empty()) {
    int32_t x = stack.back();
    stack.pop_back();
    for (int32_t p : rev[x]) {
      if (!nfa.live_[p]) {
        nfa.live_[p] = 1;
        stack.push_back(p);
      }
    }
  }

  // Byte classes: every boundary of a live byte range starts a new class.
  std::array<bool, 257> boundary{};
  for (size_t i = 0; i < n; ++i) {
    const Node& node = nfa.nodes_[i];
    if (node.kind != kByteRange || !nfa.live_[i]) continue;
    boundary[node.lo] = true;
    boundary[node.hi + 1] = true;
  }
  int cls = 0;
  for (int byte = 0; byte < 256; ++byte) {
    if (byte > 0 && boundary[byte]) ++cls;
    nfa.byte_class_[byte] = static_cast<uint8_t>(cls);
  }
  nfa.num_classes_ = cls + 1;
  return nfa;
}

}  // namespace sgl::constraint
