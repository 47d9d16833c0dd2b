#include "common.cuh"
#include "embedding.cuh"

namespace sgl::cuda {

namespace {

// One block per token; bf16 pairs read as 32-bit words (dim is even for every supported model).
__global__ void embedding_kernel(const __nv_bfloat16* __restrict__ table, int64_t rows, int dim, int64_t vocab_begin,
                                 const int32_t* __restrict__ tokens, float* __restrict__ x) {
  const int t = blockIdx.x;
  const int64_t r = (int64_t)tokens[t] - vocab_begin;
  float* out = x + (int64_t)t * dim;
  if (r < 0 || r >= rows) {
    for (int i = threadIdx.x; i < dim; i += blockDim.x) out[i] = 0.0f;
    return;
  }
  const __nv_bfloat162* row = reinterpret_cast<const __nv_bfloat162*>(table + r * dim);
  for (int i = threadIdx.x; i < dim / 2; i += blockDim.x) {
    float2 f = __bfloat1622float2(row[i]);
    out[2 * i] = f.x;
    out[2 * i + 1] = f.y;
  }
}

}  // namespace

void embedding(const uint16_t* table, int64_t rows, int dim, int64_t vocab_begin, const int32_t* tokens, int T,
               float* x, cudaStream_t stream) {
  if (T <= 0) return;
  if (dim % 2) throw CudaError("embedding: dim must be even");
  int threads = dim / 2 >= 256 ? 256 : ((dim / 2 + 31) / 32) * 32;
  embedding_kernel<<<T, threads, 0, stream>>>(reinterpret_cast<const __nv_bfloat16*>(table), rows, dim, vocab_begin,
                                              tokens, x);
  check_launch("embedding");
}

}  // namespace sgl::cuda
