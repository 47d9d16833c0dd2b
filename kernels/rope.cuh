// Rotary position embedding, in place on the q and k parts of a fused qkv activation (bf16,
// row t at qkv + t * ld: n_q heads of q, then n_k heads of k, each head_dim wide).
// Angle of pair i at position p: float(p) * inv_freq[i] (inv_freq precomputed on the host with
// Llama 3 scaling applied, as Model::rope_inv_freq).
//  - interleaved: pairs (2i, 2i+1), results in place (llama2.c / GGUF llama);
//  - rotate-half: pairs (i, i + head_dim/2), results stored interleaved at (2i, 2i+1), as the
//    CPU engine does (q.k is invariant under the shared permutation; the KV cache is then
//    identical to the interleaved layout's).
#pragma once

#include "cuda_types.h"

#include <cstdint>

namespace sgl::cuda {

void rope(uint16_t* qkv, int64_t ld, int T, const int32_t* positions, const float* inv_freq, int n_q, int n_k,
          int head_dim, bool interleaved, cudaStream_t stream);

void rope_ref(uint16_t* qkv, int64_t ld, int T, const int32_t* positions, const float* inv_freq, int n_q, int n_k,
              int head_dim, bool interleaved);

}  // namespace sgl::cuda
