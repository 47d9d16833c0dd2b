// Writes each token's K and V (from the fused qkv activation, after RoPE) into the paged KV cache
// of one layer: k_cache[slots[t]] = qkv[t][k_off .. k_off + kv_dim), likewise V at v_off.
// Caches are bf16 [n_slots][kv_dim]; slot indices come from the caller (per position).
#pragma once

#include "cuda_types.h"

#include <cstdint>

namespace sgl::cuda {

void kv_store(const uint16_t* qkv, int64_t ld, int k_off, int v_off, int kv_dim, int T, const int32_t* slots,
              uint16_t* k_cache, uint16_t* v_cache, cudaStream_t stream);

void kv_store_ref(const uint16_t* qkv, int64_t ld, int k_off, int v_off, int kv_dim, int T, const int32_t* slots,
                  uint16_t* k_cache, uint16_t* v_cache);

}  // namespace sgl::cuda
