// Host-side planning for the CUDA engine, kept free of CUDA so it is tested everywhere: the
// flattened per-token launch data of a batch (tokens, positions, slots, the slot table the
// attention kernel reads), the padding of decode batches to CUDA-graph sizes, and KV sizing.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine.h"

namespace sgl {

// Decode batches run as CUDA graphs captured for 1, 2, 4, ... up to this many sequences.
constexpr int kMaxDecodeGraphBatch = 256;

// Graph sizes for decode batches: powers of two from 1 to max_batch (max_batch itself included
// when it is not a power of two).
std::vector<int> decode_graph_sizes(int max_batch = kMaxDecodeGraphBatch);
// The captured size a decode batch of `batch` sequences runs as (the smallest size >= batch), or
// 0 when it is larger than every size (it then runs eagerly).
int decode_graph_size(int batch, int max_batch = kMaxDecodeGraphBatch);

// Every sequence runs exactly one new token (the shape CUDA graphs replay).
bool is_decode_batch(std::span<const SeqInput> batch);

struct BatchPlan {
  int T = 0;         // real tokens
  int T_run = 0;     // rows the kernels process (T, or the graph size for padded decode)
  int n_out = 0;     // logits rows the caller gets
  int n_out_run = 0; // logits rows computed (n_out, or T_run for padded decode)
  std::vector<int32_t> tokens, pos, slot, seq_off;  // [T_run]
  std::vector<int32_t> slot_table;                   // every sequence's slots 0 .. pos + n - 1
  std::vector<int32_t> out_rows;                     // [n_out_run] token rows whose logits are computed
  int max_ctx = 0;                                   // longest context in the batch
};

// Validates the batch (throws std::invalid_argument like the CPU engine: token ids, positions,
// slots in range) and flattens it. pad_to > T pads with token 0 at position 0 writing and
// reading `scratch_slot` (a slot outside the caller's range that the engine reserves), so the
// padded rows do nothing visible.
void plan_batch(std::span<const SeqInput> batch, int vocab, int32_t kv_capacity, int32_t scratch_slot, int pad_to,
                BatchPlan& plan);

// Token slots that fit in `bytes` of bf16 K and V for every layer (at most `cap`).
int64_t cuda_kv_slots_for_bytes(const ModelConfig& c, int64_t bytes, int64_t cap = int64_t{1} << 22);

}  // namespace sgl
