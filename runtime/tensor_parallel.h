// Tensor-parallel sharding (Megatron style) and a CPU reference of the sharded forward pass.
//  - q/k/v and gate/up: column-parallel (each rank owns whole heads / a slice of the ffn rows);
//  - wo and down: row-parallel (each rank multiplies its slice of the inputs; partial outputs
//    are all-reduced: the two all-reduces per layer);
//  - embedding: vocabulary-parallel (rows outside the rank's range give zeros; all-reduced);
//  - LM head: vocabulary-parallel (each rank's logits slice, all-gathered).
// The CUDA engine uses the same TpShard ranges; the reference (fp32, host) lets the sharded math
// be tested against the unsharded CPU engine without a GPU.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "communicator.h"
#include "model.h"

namespace sgl {

struct TpShard {
  int rank = 0, size = 1;
  int q_head_begin = 0, n_q_heads = 0;    // query heads of this rank
  int kv_head_begin = 0, n_kv_heads = 0;  // KV heads of this rank
  int ffn_begin = 0, ffn = 0;             // hidden (ffn) rows of this rank
  int64_t vocab_begin = 0, vocab = 0;     // vocabulary rows of this rank (embedding and LM head)
};

// Throws std::invalid_argument when the model cannot be split `size` ways (heads and KV heads
// must divide evenly; ffn and vocabulary split in near-equal contiguous ranges).
TpShard tp_shard(const ModelConfig& c, int rank, int size);
// Empty when `size` ways works, else the reason (for --tp validation messages).
std::string tp_check(const ModelConfig& c, int size);

// [begin, end) of part `rank` of `n` items split `size` ways (the first n % size parts one larger).
std::pair<int64_t, int64_t> tp_range(int64_t n, int rank, int size);

// One rank of the sharded forward on the CPU in fp32: weights dequantized and sliced per
// TpShard, its own contiguous K/V for one sequence. All ranks must run forward() together (one
// thread each), with communicators from one group.
class TpReferenceRank {
 public:
  TpReferenceRank(std::shared_ptr<const Model> model, Communicator& comm);
  ~TpReferenceRank();
  const TpShard& shard() const { return shard_; }
  // Runs tokens at positions pos .. pos + n - 1 (K/V of earlier positions kept from previous
  // calls) and returns the full vocabulary logits of every new token ([n][vocab]).
  std::vector<float> forward(std::span<const int32_t> tokens, int pos);

 private:
  struct Weights;
  std::shared_ptr<const Model> model_;
  Communicator& comm_;
  TpShard shard_;
  std::unique_ptr<Weights> w_;
  std::vector<std::vector<float>> k_cache_, v_cache_;  // per layer [pos][local kv dim]
};

}  // namespace sgl
