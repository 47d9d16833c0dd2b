// Matrix products through cuBLAS, bf16 in, fp32 accumulation:
//   Y[t][n] = sum_k X[t][k] * W[n][k]   (+ beta * Y),  t < T, n < N
// X bf16 rows (ldx elements apart), W bf16 [N][K] (rows = outputs, as Model's Matrix), Y bf16 or
// fp32 rows (ldy apart). libcublas is loaded with dlopen on first use, so binaries built with
// CUDA start (and run the CPU engine) where it is missing; create() then returns null and says
// why. A fixed workspace is set so products can be captured into CUDA graphs.
#pragma once

#include "cuda_types.h"

#include <cstdint>
#include <memory>
#include <string>

namespace sgl::cuda {

class Gemm {
 public:
  static std::unique_ptr<Gemm> create(std::string* err);
  ~Gemm();
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;

  void set_stream(cudaStream_t s);
  void matmul(const uint16_t* x, int64_t ldx, const uint16_t* w, int64_t N, int64_t K, int T, void* y, int64_t ldy,
              bool y_f32, float beta = 0.0f);

 private:
  Gemm() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// CPU reference (fp32 accumulation in double, same layouts; y_f32 selects float or bf16 Y).
void gemm_ref(const uint16_t* x, int64_t ldx, const uint16_t* w, int64_t N, int64_t K, int T, void* y, int64_t ldy,
              bool y_f32, float beta = 0.0f);

}  // namespace sgl::cuda
