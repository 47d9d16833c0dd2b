// Device sampling: one 1024-thread block per row. Top-k and top-p thresholds come from binary
// searches over the order-preserving integer keys of the floats (32 passes over the row each);
// correct and simple. Ideas: a radix select with shared histograms (4 passes of 8 bits), and a
// first pass that keeps only candidates above a cheap bound before the top-p search.
#include "common.cuh"
#include "sampling.cuh"

namespace sgl::cuda {

namespace {

__device__ __forceinline__ uint32_t order_key(float f) {
  uint32_t u = __float_as_uint(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// Warp-wide (value, index) maximum, ties to the lowest index; every lane gets it.
__device__ __forceinline__ void warp_argmax(float& best, int& bi) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float ob = __shfl_xor_sync(0xffffffffu, best, o);
    const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
    if (ob > best || (ob == best && oi < bi)) {
      best = ob;
      bi = oi;
    }
  }
}

// Block argmax of v (ties to the lowest index) excluding indices in `skip[0..n_skip)`.
__device__ int block_argmax(const float* v, int vocab, const int32_t* skip, int n_skip, float* red_v, int* red_i) {
  float best = -INFINITY;
  int bi = 0x7fffffff;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
    bool skipped = false;
    for (int s = 0; s < n_skip; ++s) skipped |= skip[s] == i;
    if (skipped) continue;
    const float x = v[i];
    if (x > best || (x == best && i < bi)) {
      best = x;
      bi = i;
    }
  }
  warp_argmax(best, bi);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  __syncthreads();
  if (lane == 0) {
    red_v[warp] = best;
    red_i[warp] = bi;
  }
  __syncthreads();
  best = lane < nw ? red_v[lane] : -INFINITY;
  bi = lane < nw ? red_i[lane] : 0x7fffffff;
  warp_argmax(best, bi);
  return bi == 0x7fffffff ? 0 : bi;
}

__global__ void __launch_bounds__(kSampleThreads) sample_kernel(SampleBuffers b) {
  __shared__ float red[32];
  __shared__ int red_i[32];
  __shared__ float chunk_sum[kSampleThreads];
  __shared__ int32_t picked[64];
  __shared__ int pick;
  const int r = blockIdx.x, V = b.vocab;
  const SampleRow p = b.rows[r];
  const float* raw = b.logits + (int64_t)r * V;
  float* w = b.work + (int64_t)r * V;

  for (int i = threadIdx.x; i < V; i += blockDim.x) w[i] = raw[i];
  __syncthreads();
  for (int j = p.pen_begin + threadIdx.x; j < p.pen_end; j += blockDim.x) {
    const int tok = b.pen_tok[j];
    if (tok >= 0 && tok < V) w[tok] -= b.pen_val[j];  // distinct tokens: no races
  }
  __syncthreads();

  // Log-sum-exp of the unmodified row, for logprobs.
  float mx = -INFINITY;
  for (int i = threadIdx.x; i < V; i += blockDim.x) mx = fmaxf(mx, raw[i]);
  mx = block_max(mx, red);
  float se = 0.0f;
  for (int i = threadIdx.x; i < V; i += blockDim.x) se += expf(raw[i] - mx);
  const float lse = mx + logf(block_sum(se, red));

  int token;
  if (p.temperature <= 0.0f) {
    token = block_argmax(w, V, nullptr, 0, red, red_i);
  } else {
    const float inv_t = 1.0f / p.temperature;
    float wm = -INFINITY;
    for (int i = threadIdx.x; i < V; i += blockDim.x) wm = fmaxf(wm, w[i]);
    wm = block_max(wm, red);
    // Top-k: the largest key tau with count(key >= tau) >= k.
    uint32_t tau_k = 0;
    if (p.top_k > 0 && p.top_k < V) {
      uint32_t lo = 0, hi = 0xffffffffu;
      while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2 + 1;
        float cnt = 0.0f;
        for (int i = threadIdx.x; i < V; i += blockDim.x) cnt += order_key(w[i]) >= mid ? 1.0f : 0.0f;
        if (block_sum(cnt, red) >= (float)p.top_k) lo = mid;
        else hi = mid - 1;
      }
      tau_k = lo;
    }
    // Candidate weight e_i = exp((w_i - max) / T) inside top-k and min-p, else 0.
    auto weight = [&](int i) -> float {
      const float x = w[i];
      if (order_key(x) < tau_k) return 0.0f;
      const float e = expf((x - wm) * inv_t);
      return e >= p.min_p ? e : 0.0f;  // min_p 0 keeps all
    };
    float zk = 0.0f;  // normaliser over the top-k set (before min-p), as the CPU sampler
    float zc = 0.0f;  // mass after min-p
    for (int i = threadIdx.x; i < V; i += blockDim.x) {
      if (order_key(w[i]) >= tau_k) zk += expf((w[i] - wm) * inv_t);
      zc += weight(i);
    }
    zk = block_sum(zk, red);
    zc = block_sum(zc, red);
    uint32_t tau_p = 0;
    if (p.top_p < 1.0f && zc >= p.top_p * zk) {
      uint32_t lo = 0, hi = 0xffffffffu;
      while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2 + 1;
        float mass = 0.0f;
        for (int i = threadIdx.x; i < V; i += blockDim.x) mass += order_key(w[i]) >= mid ? weight(i) : 0.0f;
        if (block_sum(mass, red) >= p.top_p * zk) lo = mid;
        else hi = mid - 1;
      }
      tau_p = lo;
    }
    // Inverse CDF in id order: each thread owns a contiguous chunk of ids.
    const int chunk = (V + blockDim.x - 1) / blockDim.x;
    const int i0 = threadIdx.x * chunk, i1 = min(V, i0 + chunk);
    float s = 0.0f;
    for (int i = i0; i < i1; ++i) s += order_key(w[i]) >= tau_p ? weight(i) : 0.0f;
    chunk_sum[threadIdx.x] = s;
    if (threadIdx.x == 0) pick = -1;
    __syncthreads();
    if (threadIdx.x == 0) {  // exclusive scan; 1024 adds
      float run = 0.0f;
      for (int j = 0; j < (int)blockDim.x; ++j) {
        const float v = chunk_sum[j];
        chunk_sum[j] = run;
        run += v;
      }
      red[0] = run;
    }
    __syncthreads();
    const float target = p.uniform * red[0];
    float cum = chunk_sum[threadIdx.x];
    int last_pos = -1;
    for (int i = i0; i < i1; ++i) {
      const float e = order_key(w[i]) >= tau_p ? weight(i) : 0.0f;
      if (e <= 0.0f) continue;
      cum += e;
      last_pos = i;
      if (cum >= target) {
        atomicMin(reinterpret_cast<unsigned*>(&pick), (unsigned)i);  // pick starts at -1 = UINT_MAX
        break;
      }
    }
    // Rounding can leave the target past the last cumulative sum: take the last kept id.
    __syncthreads();
    if (pick < 0) {
      red_i[0] = -1;
      __syncthreads();
      if (last_pos >= 0) atomicMax(&red_i[0], last_pos);
      __syncthreads();
      if (threadIdx.x == 0) pick = red_i[0] < 0 ? 0 : red_i[0];
    }
    __syncthreads();
    token = pick;
  }
  if (threadIdx.x == 0) {
    b.token[r] = token;
    b.logprob[r] = raw[token] - lse;
  }
  // Top logprobs: repeated argmax of the raw row (same order as of the log-softmax).
  const int k = min(min(p.top_logprobs, b.max_top), 64);
  for (int j = 0; j < k; ++j) {
    const int best = block_argmax(raw, V, picked, j, red, red_i);
    if (threadIdx.x == 0) {
      picked[j] = best;
      b.top_ids[(int64_t)r * b.max_top + j] = best;
      b.top_lp[(int64_t)r * b.max_top + j] = raw[best] - lse;
    }
    __syncthreads();
  }
}

}  // namespace

void sample(const SampleBuffers& b, cudaStream_t stream) {
  if (b.n <= 0) return;
  if (b.max_top > 64) throw CudaError("sample: at most 64 top logprobs");
  sample_kernel<<<b.n, kSampleThreads, 0, stream>>>(b);
  check_launch("sample");
}

}  // namespace sgl::cuda
