// A byte-level NFA built from Rx, with code point classes lowered to UTF-8 byte sequences, nodes
// that cannot reach the match pruned, and a hard size cap so hostile inputs fail fast.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rx.h"

namespace sgl::constraint {

struct NfaOptions {
  // Building stops with ConstraintError("... too complex ...") past this many nodes. A node is
  // 16 bytes and building costs ~50 ns per node, so the default fails within ~0.1 s.
  size_t max_nodes = size_t{1} << 21;
};

class Nfa {
 public:
  enum Kind : uint8_t { kByteRange, kEpsilon, kMatch };
  struct Node {
    Kind kind;
    uint8_t lo, hi;  // kByteRange: the accepted bytes, inclusive
    int32_t out;     // kByteRange: the node after the byte
    uint32_t eps_begin, eps_count;  // kEpsilon: successors in eps_edges()
  };

  // Throws ConstraintError when the automaton would exceed options.max_nodes.
  static Nfa build(const Rx& rx, const NfaOptions& options = {});

  int32_t start() const { return start_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<int32_t>& eps_edges() const { return eps_; }
  // live()[n]: node n can still reach the match (others are pruned from DFA states).
  const std::vector<uint8_t>& live() const { return live_; }
  // Bytes that no node distinguishes share a class; DFA tables are indexed by class.
  const std::array<uint8_t, 256>& byte_class() const { return byte_class_; }
  int num_classes() const { return num_classes_; }

 private:
  friend class NfaBuilder;
  int32_t start_ = -1;
  std::vector<Node> nodes_;
  std::vector<int32_t> eps_;
  std::vector<uint8_t> live_;
  std::array<uint8_t, 256> byte_class_{};
  int num_classes_ = 1;
};

// UTF-8 byte-range sequences covering a code point range set exactly (surrogates excluded): each
// inner vector is one sequence of 1..4 inclusive byte ranges.
struct ByteRange {
  uint8_t lo, hi;
};
std::vector<std::vector<ByteRange>> utf8_sequences(const std::vector<CodeRange>& ranges);

}  // namespace sgl::constraint
