// Bump allocation for the instance-tree arena (see arena.h).
#include "arena.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sgl {

Arena::~Arena() {
  for (size_t i = dtors_.size(); i-- > 0;) dtors_[i].fn(dtors_[i].obj);
}

void* Arena::alloc(size_t bytes) {
  size_t n = (bytes + 15) & ~size_t{15};
  if (n == 0) n = 16;
  if (n > left_) {
    // Large requests get a chunk of their own so the current chunk's rest is not wasted.
    size_t size = n > kChunk / 4 ? n : kChunk;
    std::byte* mem = new (std::nothrow) std::byte[size + 16];
    if (!mem) {
      std::fprintf(stderr, "sgl: out of memory allocating %zu bytes\n", bytes);
      std::abort();
    }
    chunks_.emplace_back(mem);
    auto* aligned = reinterpret_cast<std::byte*>((reinterpret_cast<uintptr_t>(mem) + 15) & ~uintptr_t{15});
    if (size != kChunk) {
      std::memset(aligned, 0, n);
      used_ += n;
      return aligned;
    }
    cur_ = aligned;
    left_ = size;
  }
  std::byte* p = cur_;
  cur_ += n;
  left_ -= n;
  used_ += n;
  std::memset(p, 0, n);
  return p;
}

}  // namespace sgl
