#include "common.cuh"
#include "logits_mask.cuh"

namespace sgl::cuda {

namespace {

// Grid (blocks over the vocabulary, rows); one thread per token.
__global__ void mask_kernel(float* __restrict__ logits, int vocab, const uint32_t* __restrict__ mask, int words,
                            const int32_t* __restrict__ mask_row) {
  const int r = blockIdx.y;
  const int mr = mask_row[r];
  if (mr < 0) return;
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= vocab) return;
  const uint32_t w = mask[(int64_t)mr * words + (i >> 5)];
  if (!((w >> (i & 31)) & 1u)) logits[(int64_t)r * vocab + i] = -INFINITY;
}

}  // namespace

void apply_token_mask(float* logits, int n, int vocab, const uint32_t* mask, int words_per_row,
                      const int32_t* mask_row, cudaStream_t stream) {
  if (n <= 0) return;
  if (words_per_row * 32 < vocab) throw CudaError("apply_token_mask: mask rows shorter than the vocabulary");
  dim3 grid((unsigned)((vocab + 255) / 256), (unsigned)n);
  mask_kernel<<<grid, 256, 0, stream>>>(logits, vocab, mask, words_per_row, mask_row);
  check_launch("apply_token_mask");
}

}  // namespace sgl::cuda
