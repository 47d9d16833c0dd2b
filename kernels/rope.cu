#include "common.cuh"
#include "rope.cuh"

namespace sgl::cuda {

namespace {

// One block per token. Rotate-half reads pairs that other threads overwrite, so the heads are
// staged in shared memory first (fp32). Idea: fuse with the K/V store and the q bias add.
__global__ void rope_kernel(__nv_bfloat16* __restrict__ qkv, int64_t ld, const int32_t* __restrict__ positions,
                            const float* __restrict__ inv_freq, int n_heads, int head_dim, bool interleaved) {
  extern __shared__ float buf[];
  const int t = blockIdx.x;
  const int half = head_dim / 2;
  const int n = n_heads * head_dim;
  __nv_bfloat16* row = qkv + (int64_t)t * ld;
  const float pos = (float)positions[t];
  if (interleaved) {
    for (int j = threadIdx.x; j < n_heads * half; j += blockDim.x) {
      const int h = j / half, i = j % half;
      float s, c;
      sincosf(pos * inv_freq[i], &s, &c);
      __nv_bfloat16* v = row + h * head_dim;
      float a = __bfloat162float(v[2 * i]), b = __bfloat162float(v[2 * i + 1]);
      v[2 * i] = __float2bfloat16(a * c - b * s);
      v[2 * i + 1] = __float2bfloat16(a * s + b * c);
    }
    return;
  }
  for (int j = threadIdx.x; j < n; j += blockDim.x) buf[j] = __bfloat162float(row[j]);
  __syncthreads();
  for (int j = threadIdx.x; j < n_heads * half; j += blockDim.x) {
    const int h = j / half, i = j % half;
    float s, c;
    sincosf(pos * inv_freq[i], &s, &c);
    const float* v = buf + h * head_dim;
    float a = v[i], b = v[i + half];
    row[h * head_dim + 2 * i] = __float2bfloat16(a * c - b * s);
    row[h * head_dim + 2 * i + 1] = __float2bfloat16(a * s + b * c);
  }
}

}  // namespace

void rope(uint16_t* qkv, int64_t ld, int T, const int32_t* positions, const float* inv_freq, int n_q, int n_k,
          int head_dim, bool interleaved, cudaStream_t stream) {
  if (T <= 0) return;
  const int heads = n_q + n_k;
  const size_t smem = interleaved ? 0 : (size_t)heads * head_dim * sizeof(float);
  if (smem > 48 * 1024) throw CudaError("rope: q+k heads exceed 48 KB of shared memory");
  rope_kernel<<<T, 256, smem, stream>>>(reinterpret_cast<__nv_bfloat16*>(qkv), ld, positions, inv_freq, heads,
                                        head_dim, interleaved);
  check_launch("rope");
}

}  // namespace sgl::cuda
