// Embedding gather: x[t] = float(table[tokens[t] - vocab_begin]) for tokens inside this shard's
// vocabulary range [vocab_begin, vocab_begin + rows), zero otherwise (vocabulary-parallel
// embedding: the shards' rows are then all-reduced). Table bf16 [rows, dim], x fp32 [T, dim].
#pragma once

#include "cuda_types.h"

#include <cstdint>

namespace sgl::cuda {

void embedding(const uint16_t* table, int64_t rows, int dim, int64_t vocab_begin, const int32_t* tokens, int T,
               float* x, cudaStream_t stream);

// CPU reference (same semantics, host memory).
void embedding_ref(const uint16_t* table, int64_t rows, int dim, int64_t vocab_begin, const int32_t* tokens, int T,
                   float* x);

}  // namespace sgl::cuda
