// A paged key/value store: K and V of every layer for a fixed number of token slots. Sequences own
// lists of slot indices (one per position), so prefixes can be shared by pointing at the same
// slots. This is the simple pool the CPU engine needs; the scheduler's radix cache manages the
// slots' lifetimes on top of alloc/release.
#pragma once

#include <cstdint>
#include <vector>

#include "model.h"

namespace sgl {

class KvPool {
 public:
  // host_storage false: slot bookkeeping only (the CUDA engine keeps K/V on the device; k() and
  // v() must not be called then).
  // The K/V storage is anonymous memory mapped on demand: a pool sized for many contexts costs
  // resident memory only for the slots actually written (no zero-filling at start-up).
  KvPool(const ModelConfig& c, int32_t n_slots, bool host_storage = true);
  ~KvPool();
  KvPool(const KvPool&) = delete;
  KvPool& operator=(const KvPool&) = delete;

  int32_t capacity() const { return n_slots_; }
  int32_t free_slots() const { return (int32_t)free_.size(); }
  // Returns -1 when full. The caller owns the slot until release().
  int32_t alloc();
  bool alloc(int32_t n, std::vector<int32_t>& out);  // all or nothing
  void release(int32_t slot);
  void release(const std::vector<int32_t>& slots);

  // kv_dim floats for (layer, slot). The engine writes a slot once, when its token is computed.
  float* k(int layer, int32_t slot) { return data_ + offset(layer, slot, 0); }
  float* v(int layer, int32_t slot) { return data_ + offset(layer, slot, 1); }
  const float* k(int layer, int32_t slot) const { return data_ + offset(layer, slot, 0); }
  const float* v(int layer, int32_t slot) const { return data_ + offset(layer, slot, 1); }
  int kv_dim() const { return kv_dim_; }
  size_t bytes() const { return bytes_; }

 private:
  size_t offset(int layer, int32_t slot, int which) const {
    return (((size_t)layer * 2 + which) * (size_t)n_slots_ + (size_t)slot) * (size_t)kv_dim_;
  }
  int32_t n_slots_;
  int kv_dim_;
  float* data_ = nullptr;  // bytes_ of anonymous mapped memory (null without host storage)
  size_t bytes_ = 0;
  std::vector<int32_t> free_;
};

}  // namespace sgl
