// CPU compute kernels with runtime ISA dispatch: matrix products directly on stored weight dtypes
// (F32, F16, BF16, Q8_0, Q4_0) and the small vector ops of attention. The same source
// (cpu_kernels_impl.inc) is compiled once per ISA; kernels() picks the best for this CPU.
#pragma once

#include <cstdint>

#include "model.h"

namespace sgl::cpu {

// Activations of n tokens (rows of x), with the forms the weight dtype needs prepared by
// prepare_acts(): int8 per 32-block with a float scale and block sum for Q8_0/Q4_0 weights,
// bf16 for BF16 weights.
struct Acts {
  const float* x = nullptr;
  int64_t ldx = 0;  // floats between rows of x
  int n = 0;
  int64_t cols = 0;
  const int8_t* q = nullptr;     // n * cols
  const float* qd = nullptr;     // n * cols/32 scales
  const int32_t* qs = nullptr;   // n * cols/32 sums of q (Q4_0's -8 offset)
  const uint16_t* bf = nullptr;  // n * cols
};

struct KernelTable {
  const char* isa;
  // y[t * ldy + r] = dot(W row r, x row t) for r in [r0, r1), every token t.
  void (*matmul)(const Matrix& w, const Acts& a, float* y, int64_t ldy, int64_t r0, int64_t r1);
  // One row: int8 quantisation in 32-blocks (scale, sum) for integer dot products.
  void (*quantize_row_q8)(const float* x, int64_t n, int8_t* q, float* d, int32_t* s);
  void (*row_to_bf16)(const float* x, int64_t n, uint16_t* out);
  float (*dot)(const float* a, const float* b, int n);
  void (*axpy)(float a, const float* x, float* y, int n);  // y += a * x
};

// Best table for this CPU; SGL_CPU_ISA=generic|avx2|avx512 forces one (if the CPU has it).
const KernelTable& kernels();
const KernelTable& kernels_generic();
// nullptr when the CPU (or this build) lacks the ISA.
const KernelTable* kernels_avx2();
const KernelTable* kernels_avx512();

}  // namespace sgl::cpu
