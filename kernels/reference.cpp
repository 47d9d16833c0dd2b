// CPU references of the CUDA kernels (host memory, same signatures minus the stream). Built in
// every configuration (library sgl_kernel_ref), so host-side tests can check them without a GPU;
// the `gpu` tests compare each kernel against these.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "attention.cuh"
#include "dtype.h"
#include "embedding.cuh"
#include "kv_store.cuh"
#include "logits_mask.cuh"
#include "rmsnorm.cuh"
#include "rope.cuh"
#include "sampling.cuh"
#include "silu_mul.cuh"

namespace sgl::cuda {

void embedding_ref(const uint16_t* table, int64_t rows, int dim, int64_t vocab_begin, const int32_t* tokens, int T,
                   float* x) {
  for (int t = 0; t < T; ++t) {
    const int64_t r = tokens[t] - vocab_begin;
    for (int i = 0; i < dim; ++i)
      x[(int64_t)t * dim + i] = (r >= 0 && r < rows) ? bf16_to_f32(table[r * dim + i]) : 0.0f;
  }
}

void add_rmsnorm_ref(float* x, const float* delta, const float* w, int dim, float eps, int n, const int32_t* rows,
                     uint16_t* out) {
  for (int i = 0; i < n; ++i) {
    const int r = rows ? rows[i] : i;
    float* xr = x + (int64_t)r * dim;
    if (delta)
      for (int j = 0; j < dim; ++j) xr[j] += delta[(int64_t)r * dim + j];
    double ss = 0;
    for (int j = 0; j < dim; ++j) ss += (double)xr[j] * xr[j];
    const float scale = 1.0f / std::sqrt((float)(ss / dim) + eps);
    for (int j = 0; j < dim; ++j) out[(int64_t)i * dim + j] = f32_to_bf16(w[j] * (scale * xr[j]));
  }
}

void rope_ref(uint16_t* qkv, int64_t ld, int T, const int32_t* positions, const float* inv_freq, int n_q, int n_k,
              int head_dim, bool interleaved) {
  const int half = head_dim / 2;
  std::vector<float> v(head_dim);
  for (int t = 0; t < T; ++t)
    for (int h = 0; h < n_q + n_k; ++h) {
      uint16_t* row = qkv + t * ld + (int64_t)h * head_dim;
      for (int i = 0; i < head_dim; ++i) v[i] = bf16_to_f32(row[i]);
      for (int i = 0; i < half; ++i) {
        const float a_ = (float)positions[t] * inv_freq[i];
        const float c = std::cos(a_), s = std::sin(a_);
        const float a = interleaved ? v[2 * i] : v[i], b = interleaved ? v[2 * i + 1] : v[i + half];
        row[2 * i] = f32_to_bf16(a * c - b * s);
        row[2 * i + 1] = f32_to_bf16(a * s + b * c);
      }
    }
}

void silu_mul_ref(const uint16_t* gate_up, int T, int ffn, uint16_t* out) {
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < ffn; ++i) {
      const float g = bf16_to_f32(gate_up[(int64_t)t * 2 * ffn + i]);
      const float u = bf16_to_f32(gate_up[(int64_t)t * 2 * ffn + ffn + i]);
      out[(int64_t)t * ffn + i] = f32_to_bf16(g / (1.0f + std::exp(-g)) * u);
    }
}

void kv_store_ref(const uint16_t* qkv, int64_t ld, int k_off, int v_off, int kv_dim, int T, const int32_t* slots,
                  uint16_t* k_cache, uint16_t* v_cache) {
  for (int t = 0; t < T; ++t) {
    std::memcpy(k_cache + (int64_t)slots[t] * kv_dim, qkv + t * ld + k_off, sizeof(uint16_t) * kv_dim);
    std::memcpy(v_cache + (int64_t)slots[t] * kv_dim, qkv + t * ld + v_off, sizeof(uint16_t) * kv_dim);
  }
}

void attention_ref(const AttentionArgs& a) {
  const int hd = a.head_dim, kvd = a.n_kv * hd;
  std::vector<double> sc, acc(hd);
  for (int t = 0; t < a.T; ++t) {
    const int pos = a.pos[t];
    const int first = a.window > 0 ? std::max(0, pos + 1 - a.window) : 0;
    const int32_t* slots = a.slot_table + a.seq_off[t];
    for (int h = 0; h < a.n_q; ++h) {
      const int kh = h / (a.n_q / a.n_kv);
      const uint16_t* q = a.q + t * a.q_ld + (int64_t)h * hd;
      sc.assign(pos + 1 - first, 0.0);
      double mx = -INFINITY;
      for (int p = first; p <= pos; ++p) {
        const uint16_t* k = a.k_cache + (int64_t)slots[p] * kvd + kh * hd;
        double s = 0;
        for (int d = 0; d < hd; ++d) s += (double)bf16_to_f32(q[d]) * bf16_to_f32(k[d]);
        sc[p - first] = s * a.scale;
        mx = std::max(mx, sc[p - first]);
      }
      double sum = 0;
      for (auto& s : sc) sum += s = std::exp(s - mx);
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int p = first; p <= pos; ++p) {
        const uint16_t* v = a.v_cache + (int64_t)slots[p] * kvd + kh * hd;
        for (int d = 0; d < hd; ++d) acc[d] += sc[p - first] * bf16_to_f32(v[d]);
      }
      for (int d = 0; d < hd; ++d) a.out[(int64_t)t * a.n_q * hd + (int64_t)h * hd + d] = f32_to_bf16((float)(acc[d] / sum));
    }
  }
}

void apply_token_mask_ref(float* logits, int n, int vocab, const uint32_t* mask, int words_per_row,
                          const int32_t* mask_row) {
  for (int r = 0; r < n; ++r) {
    if (mask_row[r] < 0) continue;
    const uint32_t* m = mask + (int64_t)mask_row[r] * words_per_row;
    for (int i = 0; i < vocab; ++i)
      if (!((m[i >> 5] >> (i & 31)) & 1u)) logits[(int64_t)r * vocab + i] = -INFINITY;
  }
}

float sample_uniform(uint64_t seed, uint64_t step) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * (step + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return (float)(z >> 40) * (1.0f / 16777216.0f);  // 24 bits: exactly representable, < 1
}

SampleRefResult sample_ref(const float* logits, int vocab, const SampleRow& row, const int32_t* pen_tok,
                           const float* pen_val) {
  SampleRefResult res;
  std::vector<float> w(logits, logits + vocab);
  for (int j = row.pen_begin; j < row.pen_end; ++j)
    if (pen_tok[j] >= 0 && pen_tok[j] < vocab) w[pen_tok[j]] -= pen_val[j];
  double mx = -INFINITY, se = 0;
  for (int i = 0; i < vocab; ++i) mx = std::max(mx, (double)logits[i]);
  for (int i = 0; i < vocab; ++i) se += std::exp(logits[i] - mx);
  const double lse = mx + std::log(se);
  res.probs.assign(vocab, 0.0);
  if (row.temperature <= 0) {
    int best = 0;
    for (int i = 1; i < vocab; ++i)
      if (w[i] > w[best]) best = i;
    res.token = best;
    res.probs[best] = 1.0;
  } else {
    // Thresholds by value, ties all kept, as the kernel.
    float tau_k = -INFINITY;
    if (row.top_k > 0 && row.top_k < vocab) {
      std::vector<float> s(w);
      std::nth_element(s.begin(), s.begin() + (row.top_k - 1), s.end(), std::greater<float>());
      tau_k = s[row.top_k - 1];
    }
    const double wm = *std::max_element(w.begin(), w.end());
    double zk = 0, zc = 0;
    std::vector<double> e(vocab, 0.0);
    for (int i = 0; i < vocab; ++i) {
      if (!(w[i] >= tau_k)) continue;
      const double x = std::exp((w[i] - wm) / row.temperature);
      zk += x;
      if (x >= row.min_p) e[i] = x;
      zc += e[i];
    }
    if (row.top_p < 1.0f && zc >= row.top_p * zk) {
      // Largest value v such that the mass of kept tokens with w >= v reaches top_p.
      std::vector<int> ids;
      for (int i = 0; i < vocab; ++i)
        if (e[i] > 0) ids.push_back(i);
      std::sort(ids.begin(), ids.end(), [&](int a, int b) { return w[a] > w[b]; });
      double cum = 0;
      float tau_p = -INFINITY;
      for (size_t j = 0; j < ids.size(); ++j) {
        cum += e[ids[j]];
        // Ties with the next value join the set together.
        if (cum >= row.top_p * zk && (j + 1 == ids.size() || w[ids[j + 1]] != w[ids[j]])) {
          tau_p = w[ids[j]];
          break;
        }
      }
      for (int i = 0; i < vocab; ++i)
        if (w[i] < tau_p) e[i] = 0;
    }
    double total = 0;
    for (double x : e) total += x;
    const double target = (double)row.uniform * total;
    double cum = 0;
    int pick = -1, last = 0;
    for (int i = 0; i < vocab; ++i) {
      if (e[i] <= 0) continue;
      cum += e[i];
      last = i;
      if (cum >= target) {
        pick = i;
        break;
      }
    }
    res.token = pick >= 0 ? pick : last;
    for (int i = 0; i < vocab; ++i) res.probs[i] = e[i] / total;
  }
  res.logprob = (float)(logits[res.token] - lse);
  const int k = std::min(row.top_logprobs, vocab);
  std::vector<int> ix(vocab);
  for (int i = 0; i < vocab; ++i) ix[i] = i;
  std::partial_sort(ix.begin(), ix.begin() + k, ix.end(),
                    [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  for (int i = 0; i < k; ++i) {
    res.top_ids.push_back(ix[i]);
    res.top_lp.push_back((float)(logits[ix[i]] - lse));
  }
  return res;
}

}  // namespace sgl::cuda

#include "gemm.cuh"

namespace sgl::cuda {

void gemm_ref(const uint16_t* x, int64_t ldx, const uint16_t* w, int64_t N, int64_t K, int T, void* y, int64_t ldy,
              bool y_f32, float beta) {
  for (int t = 0; t < T; ++t)
    for (int64_t n = 0; n < N; ++n) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) s += (double)bf16_to_f32(x[t * ldx + k]) * bf16_to_f32(w[n * K + k]);
      if (y_f32) {
        float* yp = static_cast<float*>(y) + t * ldy + n;
        *yp = (float)s + (beta != 0.0f ? beta * *yp : 0.0f);
      } else {
        uint16_t* yp = static_cast<uint16_t*>(y) + t * ldy + n;
        *yp = f32_to_bf16((float)s + (beta != 0.0f ? beta * bf16_to_f32(*yp) : 0.0f));
      }
    }
}

}  // namespace sgl::cuda

#include "bias.cuh"

namespace sgl::cuda {

void add_bias_ref(uint16_t* y, int64_t ld, const float* b, int T, int n) {
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < n; ++i) y[t * ld + i] = f32_to_bf16(bf16_to_f32(y[t * ld + i]) + b[i]);
}

}  // namespace sgl::cuda
