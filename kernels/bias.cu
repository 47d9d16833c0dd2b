#include "bias.cuh"
#include "common.cuh"

namespace sgl::cuda {

namespace {

__global__ void add_bias_kernel(__nv_bfloat16* __restrict__ y, int64_t ld, const float* __restrict__ b, int n) {
  __nv_bfloat16* row = y + blockIdx.x * ld;
  for (int i = threadIdx.x; i < n; i += blockDim.x) row[i] = __float2bfloat16(__bfloat162float(row[i]) + b[i]);
}

}  // namespace

void add_bias(uint16_t* y, int64_t ld, const float* b, int T, int n, cudaStream_t stream) {
  if (T <= 0 || !b) return;
  add_bias_kernel<<<T, 256, 0, stream>>>(reinterpret_cast<__nv_bfloat16*>(y), ld, b, n);
  check_launch("add_bias");
}

}  // namespace sgl::cuda
