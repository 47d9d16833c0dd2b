// The CPU implementation of Engine: a Llama-family transformer forward pass over a token batch,
// with matmuls on the stored weight dtypes (cpu_kernels) spread over a ThreadPool.
#pragma once

#include <array>

#include "cpu_kernels.h"
#include "engine.h"
#include "thread_pool.h"

namespace sgl {

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
  std::vector<float> x_, xb_, q_, k_, v_, att_, hb_, hb2_, tmp_, rope_cos_, rope_sin_;
  std::vector<int32_t> tok_pos_, tok_seq_;
  std::vector<std::array<int, 3>> att_items_;  // attention work: first token, query count, head
  // Activation forms for the matmuls (one ActBuf is alive at a time), kept between calls so their
  // buffers are not reallocated and zero-filled for every matrix.
  struct ActStore {
    std::vector<int8_t> q;
    std::vector<float> qd;
    std::vector<int32_t> qs;
    std::vector<uint16_t> bf;
    cpu::PackedActs packed[5];  // per dtype
  };
  ActStore act_;
};

}  // namespace sgl
