// Bias add on bf16 rows: y[t][i] = bf16(y[t][i] + b[i]) for i < n (fp32 bias; Qwen2's q/k/v).
#pragma once

#include "cuda_types.h"

#include <cstdint>

namespace sgl::cuda {

void add_bias(uint16_t* y, int64_t ld, const float* b, int T, int n, cudaStream_t stream);

void add_bias_ref(uint16_t* y, int64_t ld, const float* b, int T, int n);

}  // namespace sgl::cuda
