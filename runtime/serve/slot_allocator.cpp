// Page-granular slot allocation on top of KvPool's per-slot free list.
#include "slot_allocator.h"

#include <algorithm>
#include <stdexcept>

namespace sgl::serve {

int64_t kv_bytes_per_token(const ModelConfig& c) {
  return (int64_t)c.n_layers * 2 * c.n_kv_heads * c.head_dim * (int64_t)sizeof(float);
}

int32_t kv_slots_for_bytes(const ModelConfig& c, int64_t bytes) {
  int64_t per = kv_bytes_per_token(c);
  if (per <= 0 || bytes <= 0) return 0;
  return (int32_t)std::min<int64_t>(bytes / per, INT32_MAX);
}

SlotAllocator::SlotAllocator(KvPool& pool, int32_t page_size, int32_t max_tokens)
    : pool_(pool), page_(page_size) {
  if (page_ < 1) throw std::invalid_argument("page size must be at least 1");
  int32_t want = pool.free_slots();
  if (max_tokens > 0) want = std::min(want, max_tokens);
  std::vector<int32_t> got;
  pool.alloc(want, got);
  std::sort(got.begin(), got.end());
  page_state_.assign((size_t)pool.capacity() / page_ + 1, 0);
  // Keep runs of P consecutive slots starting at a multiple of P; give back the rest.
  std::vector<int32_t> back;
  for (size_t i = 0; i < got.size();) {
    int32_t s = got[i];
    if (s % page_ == 0 && i + page_ <= got.size() && got[i + page_ - 1] == s + page_ - 1) {
      pages_.push_back(s / page_);
      i += page_;
    } else {
      back.push_back(s);
      ++i;
    }
  }
  pool.release(back);
  for (auto it = pages_.rbegin(); it != pages_.rend(); ++it) {  // low pages first
    free_.push_back(*it);
    page_state_[*it] = 1;
  }
}

SlotAllocator::~SlotAllocator() {
  std::vector<int32_t> slots;
  for (int32_t p : pages_)
    for (int32_t j = 0; j < page_; ++j) slots.push_back(p * page_ + j);
  pool_.release(slots);
}

int32_t SlotAllocator::pages_needed(int32_t have, int32_t n) const {
  int32_t room = have % page_ == 0 ? 0 : page_ - have % page_;
  int32_t need = n - room;
  return need <= 0 ? 0 : (need + page_ - 1) / page_;
}

bool SlotAllocator::extend(std::vector<int32_t>& slots, int32_t n) {
  int32_t have = (int32_t)slots.size();
  if (pages_needed(have, n) > (int32_t)free_.size()) return false;
  for (int32_t i = 0; i < n; ++i) {
    int32_t pos = have + i;
    if (pos % page_ != 0) {
      slots.push_back(slots.back() + 1);  // the next slot of the current page
      continue;
    }
    int32_t p = free_.back();
    free_.pop_back();
    page_state_[p] = 2;
    slots.push_back(p * page_);
  }
  return true;
}

void SlotAllocator::free(std::span<const int32_t> run) {
  for (size_t i = 0; i < run.size(); i += page_) {
    int32_t s = run[i];
    int32_t p = s / page_;
    if (s % page_ != 0 || p < 0 || (size_t)p >= page_state_.size() || page_state_[p] != 2)
      throw std::logic_error("SlotAllocator::free: slot " + std::to_string(s) +
                             " does not start a page in use (internal error)");
    page_state_[p] = 1;
    free_.push_back(p);
  }
}

bool SlotAllocator::is_free_slot(int32_t slot) const {
  int32_t p = slot / page_;
  return slot >= 0 && (size_t)p < page_state_.size() && page_state_[p] == 1;
}

bool SlotAllocator::owns_slot(int32_t slot) const {
  int32_t p = slot / page_;
  return slot >= 0 && (size_t)p < page_state_.size() && page_state_[p] != 0;
}

}  // namespace sgl::serve
