// A trie of the vocabulary's token byte strings, flattened in preorder so that a mask walk is a
// linear scan that can jump over a rejected subtree in O(1).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "vocabulary.h"

namespace sgl::constraint {

class TokenTrie {
 public:
  struct Node {
    uint8_t byte;        // edge byte into this node (root: unused)
    uint16_t depth;      // root = 0
    uint32_t end;        // one past the last node of this subtree
    uint32_t tok_begin;  // tokens ending here: token_ids()[tok_begin .. next node's tok_begin)
  };

  // Special tokens are left out unless include_special (then they match their literal text);
  // empty byte strings are always left out (a zero-length token would never make progress).
  explicit TokenTrie(std::shared_ptr<const Vocabulary> vocab, bool include_special = false);

  const std::vector<Node>& nodes() const { return nodes_; }  // nodes_.back() is a sentinel
  const std::vector<int32_t>& token_ids() const { return ids_; }
  const Vocabulary& vocab() const { return *vocab_; }
  size_t num_nodes() const { return nodes_.size() - 1; }
  bool include_special() const { return include_special_; }

 private:
  std::shared_ptr<const Vocabulary> vocab_;
  std::vector<Node> nodes_;
  std::vector<int32_t> ids_;
  bool include_special_;
};

}  // namespace sgl::constraint
