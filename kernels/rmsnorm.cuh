// RMSNorm fused with the residual add, per token row:
//   if delta: x += delta            (fp32 residual stream, updated in place)
//   out = bf16(w * x / sqrt(mean(x^2) + eps))
// `rows` optionally picks which rows of x to normalise (the final norm only runs on rows that
// want logits); out row i then belongs to x row rows[i]. delta must be null when rows is set.
#pragma once

#include "cuda_types.h"

#include <cstdint>

namespace sgl::cuda {

void add_rmsnorm(float* x, const float* delta, const float* w, int dim, float eps, int n, const int32_t* rows,
                 uint16_t* out, cudaStream_t stream);

void add_rmsnorm_ref(float* x, const float* delta, const float* w, int dim, float eps, int n, const int32_t* rows,
                     uint16_t* out);

}  // namespace sgl::cuda
