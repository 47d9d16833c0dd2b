// Hands out K/V token slots of the engine's KvPool in pages of `page_size` consecutive slots, the
// unit the radix cache and the scheduler own memory in. A sequence's slot list is page-aligned by
// position: positions [k*P, k*P + P) live in one page, so whole pages can be shared or freed.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kv_pool.h"

namespace sgl::serve {

// Bytes one token slot costs in a KvPool of this model (K and V of every layer, f32): turns a CPU
// byte budget into a slot count for CpuEngineOptions::kv_slots.
int64_t kv_bytes_per_token(const ModelConfig& c);
int32_t kv_slots_for_bytes(const ModelConfig& c, int64_t bytes);

class SlotAllocator {
 public:
  // Claims up to `max_tokens` slots of `pool` (0: every free slot) for the allocator's lifetime
  // and gives them back on destruction; nobody else may alloc/release in `pool` meanwhile. Only
  // whole pages of P slots s with s/P equal are used; leftovers go back to the pool at once.
  SlotAllocator(KvPool& pool, int32_t page_size = 1, int32_t max_tokens = 0);
  ~SlotAllocator();
  SlotAllocator(const SlotAllocator&) = delete;
  SlotAllocator& operator=(const SlotAllocator&) = delete;

  int32_t page_size() const { return page_; }
  int32_t capacity() const { return (int32_t)pages_.size() * page_; }  // tokens
  int32_t free_tokens() const { return (int32_t)free_.size() * page_; }
  int32_t free_pages() const { return (int32_t)free_.size(); }

  // New pages needed to grow a page-aligned slot list from `have` to `have + n` positions.
  int32_t pages_needed(int32_t have, int32_t n) const;
  // Appends slots for n more positions to `slots` (its size is the current position count): the
  // rest of the last page first, then fresh pages. All or nothing: false (and `slots` unchanged)
  // when there are too few free pages. The caller owns the new pages until it frees them.
  bool extend(std::vector<int32_t>& slots, int32_t n);
  // Frees every page touched by `run`, a page-aligned piece of a slot list (run[0] starts a page,
  // every P-th entry starts the next). The caller must own those pages.
  void free(std::span<const int32_t> run);

  bool is_free_slot(int32_t slot) const;
  bool owns_slot(int32_t slot) const;  // the slot belongs to one of this allocator's pages

 private:
  KvPool& pool_;
  int32_t page_;
  std::vector<int32_t> pages_;       // page ids (first slot / P) claimed from the pool
  std::vector<int32_t> free_;        // free page ids, popped from the back
  std::vector<uint8_t> page_state_;  // by page id: 0 not ours, 1 free, 2 in use
};

}  // namespace sgl::serve
