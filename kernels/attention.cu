// A straightforward, correct paged attention: one block per (token, query head), four warps
// taking positions round-robin, each warp keeping an online-softmax state (running max m, sum l,
// accumulator acc) with head_dim spread over its lanes; the warps' states merge at the end.
//
// Optimisation ideas (measure first on the GPU):
//  - one block per (token, KV head) so the n_q / n_kv query heads of a group share each K/V load;
//  - split the context over several blocks for long contexts at small batch (flash-decoding),
//    merging (m, l, acc) partials in a second kernel;
//  - 16-byte K/V loads (8 bf16 per lane) and several positions in flight per warp;
//  - for extend with many query tokens, tile queries and use tensor cores (wgmma on sm_90a),
//    staging K/V pages through shared memory with cp.async / TMA.
#include "attention.cuh"
#include "common.cuh"

namespace sgl::cuda {

namespace {

constexpr int kWarps = kAttentionThreads / 32;

template <int KPL>  // values per lane: head_dim <= 32 * KPL
__global__ void __launch_bounds__(kAttentionThreads)
    attention_kernel(AttentionArgs a) {
  __shared__ float s_m[kWarps], s_l[kWarps];
  __shared__ float s_acc[kWarps][32 * KPL];
  const int t = blockIdx.x, h = blockIdx.y;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int hd = a.head_dim, kvd = a.n_kv * hd;
  const int kh = h / (a.n_q / a.n_kv);
  const int pos = a.pos[t];
  const int first = a.window > 0 ? max(0, pos + 1 - a.window) : 0;
  const int32_t* slots = a.slot_table + a.seq_off[t];

  const __nv_bfloat16* qp = reinterpret_cast<const __nv_bfloat16*>(a.q) + (int64_t)t * a.q_ld + h * hd;
  float q[KPL], acc[KPL];
#pragma unroll
  for (int j = 0; j < KPL; ++j) {
    const int d = lane + 32 * j;
    q[j] = d < hd ? __bfloat162float(qp[d]) * a.scale : 0.0f;
    acc[j] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  const __nv_bfloat16* kc = reinterpret_cast<const __nv_bfloat16*>(a.k_cache);
  const __nv_bfloat16* vc = reinterpret_cast<const __nv_bfloat16*>(a.v_cache);
  for (int p = first + warp; p <= pos; p += kWarps) {
    const int64_t base = (int64_t)slots[p] * kvd + kh * hd;
    float s = 0.0f;
#pragma unroll
    for (int j = 0; j < KPL; ++j) {
      const int d = lane + 32 * j;
      if (d < hd) s += q[j] * __bfloat162float(kc[base + d]);
    }
    s = warp_sum(s);
    const float m_new = fmaxf(m, s);
    const float corr = __expf(m - m_new);  // 0 on the first position (m = -inf)
    const float e = __expf(s - m_new);
    l = l * corr + e;
#pragma unroll
    for (int j = 0; j < KPL; ++j) {
      const int d = lane + 32 * j;
      const float v = d < hd ? __bfloat162float(vc[base + d]) : 0.0f;
      acc[j] = acc[j] * corr + e * v;
    }
    m = m_new;
  }
  if (lane == 0) {
    s_m[warp] = m;
    s_l[warp] = l;
  }
#pragma unroll
  for (int j = 0; j < KPL; ++j) s_acc[warp][lane + 32 * j] = acc[j];
  __syncthreads();
  // Merge the warps' states; a warp with no positions has m = -inf and l = 0.
  float gm = -INFINITY;
#pragma unroll
  for (int w = 0; w < kWarps; ++w) gm = fmaxf(gm, s_m[w]);
  float scale_w[kWarps], gl = 0.0f;
#pragma unroll
  for (int w = 0; w < kWarps; ++w) {
    scale_w[w] = s_l[w] > 0.0f ? __expf(s_m[w] - gm) : 0.0f;
    gl += s_l[w] * scale_w[w];
  }
  const float inv = 1.0f / gl;
  __nv_bfloat16* op = reinterpret_cast<__nv_bfloat16*>(a.out) + (int64_t)t * a.n_q * hd + h * hd;
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    float o = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) o += s_acc[w][d] * scale_w[w];
    op[d] = __float2bfloat16(o * inv);
  }
}

}  // namespace

void attention(const AttentionArgs& a, cudaStream_t stream) {
  if (a.T <= 0) return;
  if (a.head_dim <= 0 || a.head_dim > kAttentionMaxHeadDim) throw CudaError("attention: unsupported head_dim");
  if (a.n_kv <= 0 || a.n_q % a.n_kv) throw CudaError("attention: n_q must be a multiple of n_kv");
  dim3 grid((unsigned)a.T, (unsigned)a.n_q);
  if (a.head_dim <= 32) attention_kernel<1><<<grid, kAttentionThreads, 0, stream>>>(a);
  else if (a.head_dim <= 64) attention_kernel<2><<<grid, kAttentionThreads, 0, stream>>>(a);
  else if (a.head_dim <= 128) attention_kernel<4><<<grid, kAttentionThreads, 0, stream>>>(a);
  else attention_kernel<8><<<grid, kAttentionThreads, 0, stream>>>(a);
  check_launch("attention");
}

}  // namespace sgl::cuda
