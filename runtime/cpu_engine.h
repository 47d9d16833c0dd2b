// The CPU implementation of Engine: a Llama-family transformer forward pass over a token batch,
// with matmuls on the stored weight dtypes (cpu_kernels) spread over a ThreadPool.
#pragma once

#include <array>
#include <cstddef>
#include <new>

#include "cpu_kernels.h"
#include "engine.h"
#include "thread_pool.h"

namespace sgl {

// Cache-line-aligned vector storage for activations: SIMD loads of a row then never straddle two
// lines, and decode speed no longer depends on where malloc happened to place a buffer (measured:
// F32 decode varied by 20-25 % with the heap layout).
template <class T>
struct AlignedAlloc {
  using value_type = T;
  AlignedAlloc() = default;
  template <class U>
  AlignedAlloc(const AlignedAlloc<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64))); }
  void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t(64)); }
  template <class U>
  bool operator==(const AlignedAlloc<U>&) const { return true; }
};
template <class T>
using AlignedVec = std::vector<T, AlignedAlloc<T>>;

class CpuEngine : public Engine {
 public:
  CpuEngine(std::shared_ptr<const Model> model, const CpuEngineOptions& opt);
  const ModelConfig& config() const override { return model_->config; }
  KvPool& kv_pool() override { return kv_; }
  void forward(std::span<const SeqInput> batch, std::vector<float>& logits) override;
  int threads() const { return pool_.size(); }
  const char* isa() const;

 private:
  struct ActBuf;
  void matmul(const Matrix& w, ActBuf& a, float* y, int64_t ldy);
  void matmul3(const Matrix* ws, int nw, ActBuf& a, float* const* ys, const int64_t* ldys);

  std::shared_ptr<const Model> model_;
  ThreadPool pool_;
  KvPool kv_;
  // Workspaces, grown to the largest batch seen.
  AlignedVec<float> x_, xb_, q_, k_, v_, att_, hb_, hb2_, tmp_, xo_, rope_cos_, rope_sin_;
  std::vector<int32_t> tok_pos_, tok_seq_;
  std::vector<std::array<int, 3>> att_items_;  // attention work: first token, query count, head
  // Activation forms for the matmuls (one ActBuf is alive at a time), kept between calls so their
  // buffers are not reallocated and zero-filled for every matrix.
  struct ActStore {
    AlignedVec<int8_t> q;
    AlignedVec<float> qd;
    AlignedVec<int32_t> qs;
    AlignedVec<uint16_t> bf;
    cpu::PackedActs packed[5];  // per dtype
  };
  ActStore act_;
};

}  // namespace sgl
