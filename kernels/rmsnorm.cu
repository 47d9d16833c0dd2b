#include "common.cuh"
#include "rmsnorm.cuh"

namespace sgl::cuda {

namespace {

// One block per row. The row is read twice (sum of squares, then scale); both reads hit L1/L2
// for model widths up to 16K. Idea: keep the row in registers when dim <= 8 * blockDim.
__global__ void add_rmsnorm_kernel(float* __restrict__ x, const float* __restrict__ delta,
                                   const float* __restrict__ w, int dim, float eps, const int32_t* __restrict__ rows,
                                   __nv_bfloat16* __restrict__ out) {
  __shared__ float red[32];
  const int i = blockIdx.x;
  const int r = rows ? rows[i] : i;
  float* xr = x + (int64_t)r * dim;
  float ss = 0.0f;
  if (delta) {
    const float* dr = delta + (int64_t)r * dim;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) {
      float v = xr[j] + dr[j];
      xr[j] = v;
      ss += v * v;
    }
  } else {
    for (int j = threadIdx.x; j < dim; j += blockDim.x) ss += xr[j] * xr[j];
  }
  ss = block_sum(ss, red);
  const float scale = rsqrtf(ss / dim + eps);
  __nv_bfloat16* o = out + (int64_t)i * dim;
  for (int j = threadIdx.x; j < dim; j += blockDim.x) o[j] = __float2bfloat16(w[j] * (scale * xr[j]));
}

}  // namespace

void add_rmsnorm(float* x, const float* delta, const float* w, int dim, float eps, int n, const int32_t* rows,
                 uint16_t* out, cudaStream_t stream) {
  if (n <= 0) return;
  if (delta && rows) throw CudaError("add_rmsnorm: delta with a row selection");
  int threads = dim >= 1024 ? 1024 : ((dim + 31) / 32) * 32;
  add_rmsnorm_kernel<<<n, threads, 0, stream>>>(x, delta, w, dim, eps, rows, reinterpret_cast<__nv_bfloat16*>(out));
  check_launch("add_rmsnorm");
}

}  // namespace sgl::cuda
