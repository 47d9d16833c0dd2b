// Free-list slot allocation over one flat K/V buffer.
#include "kv_pool.h"

namespace sgl {

KvPool::KvPool(const ModelConfig& c, int32_t n_slots, bool host_storage)
    : n_slots_(n_slots), kv_dim_(c.n_kv_heads * c.head_dim),
      data_(host_storage ? (size_t)c.n_layers * 2 * (size_t)n_slots * (size_t)kv_dim_ : 0) {
  free_.reserve(n_slots);
  for (int32_t s = n_slots - 1; s >= 0; --s) free_.push_back(s);  // hand out low slots first
}

int32_t KvPool::alloc() {
  if (free_.empty()) return -1;
  int32_t s = free_.back();
  free_.pop_back();
  return s;
}

bool KvPool::alloc(int32_t n, std::vector<int32_t>& out) {
  if ((int32_t)free_.size() < n) return false;
  for (int32_t i = 0; i < n; ++i) out.push_back(alloc());
  return true;
}

void KvPool::release(int32_t slot) { free_.push_back(slot); }

void KvPool::release(const std::vector<int32_t>& slots) {
  for (int32_t s : slots) release(s);
}

}  // namespace sgl
