// The radix prefix cache (RadixAttention): a radix tree over token ids whose edges own the K/V
// slots of their tokens, so a request whose prompt starts like an earlier one reuses its K/V.
// Longest-prefix match, insert with edge splits, lock counts that pin the paths of running
// requests, and LRU eviction of unlocked leaves back into the SlotAllocator.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "slot_allocator.h"

namespace sgl::serve {

// A tree node. RadixCache creates, mutates and deletes nodes; everyone else only holds pointers
// returned by match_prefix() and passes them back to lock()/unlock(). A node stays alive while
// locked; an unlocked one may be split or evicted by any later call.
struct RadixNode {
  std::vector<int32_t> key;    // the edge's tokens (a multiple of the page size; empty at root)
  std::vector<int32_t> slots;  // slot of each key token, owned by the cache
  std::map<std::vector<int32_t>, std::unique_ptr<RadixNode>> children;  // by first page of key
  RadixNode* parent = nullptr;
  int32_t lock = 0;          // running requests whose matched prefix passes through this node
  uint64_t last_access = 0;  // a counter, not a clock: deterministic LRU
};

struct PrefixMatch {
  std::vector<int32_t> slots;  // slots of the matched tokens (slots.size() tokens matched)
  RadixNode* node = nullptr;   // the node ending exactly at the match (root when none)
};

// What insert() did with the caller's slots, for positions [0, n) of the offered tokens:
// [0, dup_end) were already cached (the caller keeps and must free the ones it owns there);
// [dup_end, taken_end) now belong to the cache; [taken_end, n) stay with the caller (the part
// past the last whole page, or everything when the cache is disabled).
struct InsertResult {
  size_t dup_end = 0, taken_end = 0;
};

class RadixCache {
 public:
  // `alloc` receives evicted slots; it must outlive the cache. Disabled: nothing is ever cached
  // (match finds nothing, insert takes nothing), for --disable-radix-cache.
  RadixCache(SlotAllocator& alloc, bool disabled = false);
  ~RadixCache();  // frees every cached slot back to the allocator (locks must be released)
  RadixCache(const RadixCache&) = delete;
  RadixCache& operator=(const RadixCache&) = delete;

  bool disabled() const { return disabled_; }
  int32_t page_size() const { return page_; }

  // Longest cached prefix of `tokens` (whole pages only). Splits an edge when the match ends
  // inside it, so the returned node covers exactly the match; refreshes LRU times on the path.
  PrefixMatch match_prefix(std::span<const int32_t> tokens);
  // Length of the longest cached prefix and the deepest node it fully covers, without changing
  // anything (for scheduling policies).
  size_t peek(std::span<const int32_t> tokens, const RadixNode** deepest = nullptr) const;
  // Offers tokens[0..n) with their slots (slots[i] holds position i); see InsertResult.
  InsertResult insert(std::span<const int32_t> tokens, std::span<const int32_t> slots);

  // Pin / unpin the path from `node` up to the root (evict() never frees a locked node).
  void lock(RadixNode* node);
  void unlock(RadixNode* node);

  // Frees at least `tokens` cached tokens, least recently used unlocked leaves first (a parent
  // becomes a candidate when its last child goes). Returns the number freed (less if too few are
  // evictable).
  size_t evict(size_t tokens);

  size_t cached_tokens() const { return evictable_ + protected_; }
  size_t evictable_tokens() const { return evictable_; }
  size_t protected_tokens() const { return protected_; }
  const RadixNode* root() const { return root_.get(); }

  // Every cached (token sequence, slots) path ending at a leaf, for tests and debugging.
  std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> dump() const;
  // Structural checks; throws std::logic_error naming the broken invariant. Checks: keys and slots
  // agree in length and are whole pages, children are keyed by their first page, parent links,
  // lock counts equal the sum of children's locks plus direct locks (never negative), the size
  // counters, every cached slot is in use in the allocator and cached once. Returns the cached
  // slots (for the caller's own "no slot owned twice" checks).
  std::vector<int32_t> check_invariants() const;

 private:
  RadixNode* split(RadixNode* child, size_t at);
  std::vector<int32_t> page_key(std::span<const int32_t> tokens, size_t pos) const;
  size_t common_len(std::span<const int32_t> a, std::span<const int32_t> b) const;

  SlotAllocator& alloc_;
  bool disabled_;
  int32_t page_;
  std::unique_ptr<RadixNode> root_;
  uint64_t tick_ = 0;
  size_t evictable_ = 0, protected_ = 0;
  // Locks taken directly on each node (the rest of a node's count comes from its descendants),
  // kept only for check_invariants().
  std::map<const RadixNode*, int32_t> direct_locks_;
};

}  // namespace sgl::serve
