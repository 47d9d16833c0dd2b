// Builds the preorder trie from the token strings sorted bytewise: walking them in order, each
// string shares its longest common prefix with the previous one, so nodes are created exactly
// in preorder and a node's subtree ends when the walk pops back above it.
#include "token_trie.h"

#include <algorithm>
#include <string_view>

namespace sgl::constraint {

TokenTrie::TokenTrie(std::shared_ptr<const Vocabulary> vocab, bool include_special)
    : vocab_(std::move(vocab)), include_special_(include_special) {
  const auto& toks = vocab_->tokens;
  std::vector<int32_t> order;
  order.reserve(toks.size());
  for (size_t i = 0; i < toks.size(); ++i) {
    bool special = i < vocab_->special.size() && vocab_->special[i];
    if (!toks[i].empty() && (!special || include_special)) order.push_back(static_cast<int32_t>(i));
  }
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return std::string_view(toks[a]) < std::string_view(toks[b]);
  });
  nodes_.reserve(order.size() * 3);
  ids_.reserve(order.size());
  nodes_.push_back({0, 0, 0, 0});
  std::vector<uint32_t> stack = {0};  // path of node indices; stack[d] has depth d
  std::string_view prev;
  for (int32_t id : order) {
    std::string_view s(toks[id]);
    size_t lcp = 0;
    while (lcp < prev.size() && lcp < s.size() && prev[lcp] == s[lcp]) ++lcp;
    while (stack.size() > lcp + 1) {
      nodes_[stack.back()].end = static_cast<uint32_t>(nodes_.size());
      stack.pop_back();
    }
    for (size_t d = lcp; d < s.size(); ++d) {
      stack.push_back(static_cast<uint32_t>(nodes_.size()));
      nodes_.push_back({static_cast<uint8_t>(s[d]), static_cast<uint16_t>(std::min<size_t>(d + 1, 65535)),
                        0, static_cast<uint32_t>(ids_.size())});
    }
    ids_.push_back(id);
    prev = s;
  }
  while (!stack.empty()) {
    nodes_[stack.back()].end = static_cast<uint32_t>(nodes_.size());
    stack.pop_back();
  }
  // Sentinel so that tok_begin of node i+1 always exists.
  nodes_.push_back({0, 0, static_cast<uint32_t>(nodes_.size() + 1), static_cast<uint32_t>(ids_.size())});
}

}  // namespace sgl::constraint
