// SwiGLU on a fused gate/up activation (bf16 rows of 2 * ffn: gate then up):
//   out[t][i] = bf16(silu(gate[t][i]) * up[t][i]),  silu(g) = g / (1 + exp(-g)), fp32 math.
#pragma once

#include "cuda_types.h"

#include <cstdint>

namespace sgl::cuda {

void silu_mul(const uint16_t* gate_up, int T, int ffn, uint16_t* out, cudaStream_t stream);

void silu_mul_ref(const uint16_t* gate_up, int T, int ffn, uint16_t* out);

}  // namespace sgl::cuda
