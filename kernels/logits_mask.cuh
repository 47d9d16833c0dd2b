// Constraint bitmask applied to logits: row r of logits (fp32, ld = vocab) uses mask row
// mask_row[r] (uint32 words, bit (i & 31) of word i >> 5 set = token i allowed); a negative
// mask_row leaves the row alone. Disallowed tokens become -inf.
#pragma once

#include "cuda_types.h"

#include <cstdint>

namespace sgl::cuda {

void apply_token_mask(float* logits, int n, int vocab, const uint32_t* mask, int words_per_row,
                      const int32_t* mask_row, cudaStream_t stream);

void apply_token_mask_ref(float* logits, int n, int vocab, const uint32_t* mask, int words_per_row,
                          const int32_t* mask_row);

}  // namespace sgl::cuda
