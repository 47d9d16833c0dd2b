// Weight matrices in a huge-page arena (see weight_arena.h).
#include "weight_arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "model.h"

namespace sgl {
namespace {

constexpr size_t kHuge = size_t{2} << 20;
constexpr size_t kAlign = 64;

size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

// The model-owned buffer that is exactly [p, p + n), or null.
template <typename T>
std::vector<T>* owned_buffer(std::vector<std::vector<T>>& owned, const uint8_t* p, size_t n) {
  for (std::vector<T>& v : owned)
    if (reinterpret_cast<const uint8_t*>(v.data()) == p && v.size() * sizeof(T) == n) return &v;
  return nullptr;
}

template <typename T>
void release(std::vector<T>* v) {
  std::vector<T>().swap(*v);
}

// Drops the whole pages inside [p, p + n) from this process: a mapped file's pages are re-read
// from the file if ever touched again (norm vectors next to a matrix share only edge pages, which
// are kept).
void drop_pages(const uint8_t* p, size_t n) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t a = round_up(reinterpret_cast<uintptr_t>(p), page);
  const uintptr_t b = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
  if (b > a) ::madvise(reinterpret_cast<void*>(a), b - a, MADV_DONTNEED);
}

}  // namespace

WeightPlacement place_weights(Model& m) {
  WeightPlacement out;
  if (const char* e = std::getenv("SGL_NO_HUGE_PAGES"); e && *e && std::strcmp(e, "0") != 0) return out;
  std::vector<Matrix*> all = {&m.tok_embd, &m.output};
  for (LayerWeights& l : m.layers)
    for (Matrix* x : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_down, &l.w_up}) all.push_back(x);
  // Distinct sources (a tied output shares the embedding's bytes), in first-seen order.
  std::map<const uint8_t*, size_t> bytes_of;
  std::vector<const uint8_t*> order;
  size_t total = 0;
  for (const Matrix* x : all) {
    if (!x->data) continue;
    const size_t n = x->row_stride * static_cast<size_t>(x->rows);
    auto [it, fresh] = bytes_of.emplace(x->data, n);
    if (!fresh) continue;
    order.push_back(x->data);
    total += round_up(n, kAlign);
  }
  if (total == 0) return out;
  const size_t map_bytes = round_up(total, kHuge) + kHuge;  // room to align the start to 2 MiB
  void* p = ::mmap(nullptr, map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return out;
  uint8_t* base = reinterpret_cast<uint8_t*>(round_up(reinterpret_cast<uintptr_t>(p), kHuge));
  ::madvise(base, round_up(total, kHuge), MADV_HUGEPAGE);  // before the first touch
  size_t off = 0;
  for (const uint8_t* src : order) {
    const size_t n = bytes_of[src];
    std::memcpy(base + off, src, n);
    for (Matrix* x : all)
      if (x->data == src) x->data = base + off;
    if (auto* b = owned_buffer(m.owned_bytes, src, n)) release(b);
    else if (auto* f = owned_buffer(m.owned_f32, src, n)) release(f);
    else drop_pages(src, n);  // a mapped file's (or a shared buffer's) pages
    off += round_up(n, kAlign);
  }
  m.keepalive.push_back(std::shared_ptr<void>(p, [map_bytes](void* q) { ::munmap(q, map_bytes); }));
  out.bytes = total;
  out.matrices = order.size();
  return out;
}

}  // namespace sgl
