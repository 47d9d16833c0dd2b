// Free-list slot allocation over one flat K/V buffer (anonymous memory, mapped on demand).
#include "kv_pool.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sgl {

KvPool::KvPool(const ModelConfig& c, int32_t n_slots, bool host_storage)
    : n_slots_(n_slots), kv_dim_(c.n_kv_heads * c.head_dim) {
  bytes_ = host_storage ? (size_t)c.n_layers * 2 * (size_t)n_slots * (size_t)kv_dim_ * sizeof(float) : 0;
  if (bytes_ > 0) {
    // Pages are zero-filled by the kernel when first touched; MAP_NORESERVE: a large budget does
    // not count against overcommit until used.
    void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
      throw std::runtime_error("cannot reserve " + std::to_string(bytes_ >> 20) + " MiB for the KV cache: " +
                               std::strerror(errno));
    // Huge pages where the kernel allows them on request (THP "madvise"): fewer TLB misses when
    // attention reads K/V; failure is harmless.
    ::madvise(p, bytes_, MADV_HUGEPAGE);
    data_ = static_cast<float*>(p);
  }
  free_.reserve(n_slots);
  for (int32_t s = n_slots - 1; s >= 0; --s) free_.push_back(s);  // hand out low slots first
}

KvPool::~KvPool() {
  if (data_) ::munmap(data_, bytes_);
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
