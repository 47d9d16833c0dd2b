// The allowed-token set of one automaton state as a bitmask. Layout (shared with the CUDA logits
// mask kernel): 32-bit words, token id t is bit (t % 32) of word (t / 32), bit set = allowed;
// ceil(vocab_size / 32) words, bits past vocab_size are zero.
#pragma once

#include <cstdint>
#include <vector>

namespace sgl::constraint {

struct TokenMask {
  std::vector<uint32_t> words;

  explicit TokenMask(size_t vocab_size = 0) : words((vocab_size + 31) / 32, 0) {}
  void set(int32_t id) { words[static_cast<size_t>(id) >> 5] |= 1u << (id & 31); }
  bool test(int32_t id) const { return (words[static_cast<size_t>(id) >> 5] >> (id & 31)) & 1u; }
  size_t count() const {
    size_t n = 0;
    for (uint32_t w : words) n += static_cast<size_t>(__builtin_popcount(w));
    return n;
  }
  bool operator==(const TokenMask&) const = default;
};

}  // namespace sgl::constraint
