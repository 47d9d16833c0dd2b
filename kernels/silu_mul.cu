#include "common.cuh"
#include "silu_mul.cuh"

namespace sgl::cuda {

namespace {

// Grid-stride over all T * ffn outputs. Idea: 16-byte vector loads, or fuse into the down GEMM's
// prologue (cuBLASLt cannot; a custom GEMM could).
__global__ void silu_mul_kernel(const __nv_bfloat16* __restrict__ gu, int64_t T, int ffn,
                                __nv_bfloat16* __restrict__ out) {
  const int64_t total = T * ffn;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total; k += (int64_t)gridDim.x * blockDim.x) {
    const int64_t t = k / ffn, i = k % ffn;
    const float g = __bfloat162float(gu[t * 2 * ffn + i]);
    const float u = __bfloat162float(gu[t * 2 * ffn + ffn + i]);
    out[k] = __float2bfloat16(g / (1.0f + expf(-g)) * u);
  }
}

}  // namespace

void silu_mul(const uint16_t* gate_up, int T, int ffn, uint16_t* out, cudaStream_t stream) {
  if (T <= 0) return;
  const int64_t total = (int64_t)T * ffn;
  const int threads = 256;
  const int64_t blocks = std::min<int64_t>((total + threads - 1) / threads, 132 * 16);
  silu_mul_kernel<<<(unsigned)blocks, threads, 0, stream>>>(reinterpret_cast<const __nv_bfloat16*>(gate_up), T, ffn,
                                                            reinterpret_cast<__nv_bfloat16*>(out));
  check_launch("silu_mul");
}

}  // namespace sgl::cuda
