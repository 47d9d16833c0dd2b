// The memory of one instance tree (a root program instance and its fork/spawn children): every
// string, list, object and env handed to generated code comes from here and lives until the tree
// is destroyed. Bump allocation in chunks; objects with destructors are destroyed with the arena.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace sgl {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena();

  // Zeroed, 16-byte aligned. Aborts on out-of-memory (rt.h: sgl_alloc never fails).
  void* alloc(size_t bytes);
  // Constructs a T here; its destructor runs when the arena goes (in reverse order).
  template <class T, class... A>
  T* make(A&&... a) {
    static_assert(alignof(T) <= 16);
    T* p = new (alloc(sizeof(T))) T(std::forward<A>(a)...);
    if constexpr (!std::is_trivially_destructible_v<T>) dtors_.push_back({p, [](void* q) { static_cast<T*>(q)->~T(); }});
    return p;
  }
  size_t bytes_used() const { return used_; }

 private:
  struct Dtor {
    void* obj;
    void (*fn)(void*);
  };
  static constexpr size_t kChunk = 64 * 1024;
  std::vector<std::unique_ptr<std::byte[]>> chunks_;
  std::byte* cur_ = nullptr;
  size_t left_ = 0;
  size_t used_ = 0;
  std::vector<Dtor> dtors_;
};

}  // namespace sgl
