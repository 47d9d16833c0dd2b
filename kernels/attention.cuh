// Paged causal attention for a flattened batch of tokens (prefill with a cached prefix, i.e.
// "extend", and decode use the same kernel). Token t belongs to a sequence whose slot list
// starts at slot_table[seq_off[t]]; it sits at position pos[t] and attends to positions
// first .. pos[t] (first = 0, or pos - window + 1 with a sliding window), reading K/V rows
// k_cache[slot] / v_cache[slot] (bf16 [slots][n_kv * head_dim]). K/V of the token itself must
// already be stored (kv_store runs first). Query head h uses KV head h / (n_q / n_kv).
//   out[t][h] = softmax(scale * q.k_p) . v_p   (fp32 accumulation, bf16 out [T][n_q * head_dim])
// Everything the kernel reads per token lives in device memory, so a CUDA graph captured once
// replays for any positions and slot lists of the same token count.
#pragma once

#include "cuda_types.h"

#include <cstdint>

namespace sgl::cuda {

struct AttentionArgs {
  const uint16_t* q = nullptr;  // row t at q + t * q_ld, head h at + h * head_dim
  int64_t q_ld = 0;
  const uint16_t* k_cache = nullptr;
  const uint16_t* v_cache = nullptr;
  const int32_t* slot_table = nullptr;
  const int32_t* seq_off = nullptr;  // [T]
  const int32_t* pos = nullptr;      // [T]
  int T = 0, n_q = 0, n_kv = 0, head_dim = 0;
  int window = 0;  // 0: full causal
  float scale = 0;
  uint16_t* out = nullptr;  // [T][n_q * head_dim]
};

// Threads per block of the attention kernel (4 warps, one position per warp per step).
constexpr int kAttentionThreads = 128;
// Largest head_dim the kernel supports (8 values per lane).
constexpr int kAttentionMaxHeadDim = 256;

void attention(const AttentionArgs& a, cudaStream_t stream);

// Host memory, same layout; fp32 math on the bf16 values.
void attention_ref(const AttentionArgs& a);

}  // namespace sgl::cuda
