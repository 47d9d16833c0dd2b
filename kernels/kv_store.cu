#include "common.cuh"
#include "kv_store.cuh"

namespace sgl::cuda {

namespace {

__global__ void kv_store_kernel(const uint16_t* __restrict__ qkv, int64_t ld, int k_off, int v_off, int kv_dim,
                                const int32_t* __restrict__ slots, uint16_t* __restrict__ k_cache,
                                uint16_t* __restrict__ v_cache) {
  const int t = blockIdx.x;
  const int64_t s = slots[t];
  const uint16_t* row = qkv + (int64_t)t * ld;
  for (int i = threadIdx.x; i < kv_dim; i += blockDim.x) {
    k_cache[s * kv_dim + i] = row[k_off + i];
    v_cache[s * kv_dim + i] = row[v_off + i];
  }
}

}  // namespace

void kv_store(const uint16_t* qkv, int64_t ld, int k_off, int v_off, int kv_dim, int T, const int32_t* slots,
              uint16_t* k_cache, uint16_t* v_cache, cudaStream_t stream) {
  if (T <= 0) return;
  kv_store_kernel<<<T, 128, 0, stream>>>(qkv, ld, k_off, v_off, kv_dim, slots, k_cache, v_cache);
  check_launch("kv_store");
}

}  // namespace sgl::cuda
