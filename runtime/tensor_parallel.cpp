#include "tensor_parallel.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "dtype.h"

namespace sgl {

std::pair<int64_t, int64_t> tp_range(int64_t n, int rank, int size) {
  const int64_t base = n / size, extra = n % size;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

std::string tp_check(const ModelConfig& c, int size) {
  if (size < 1) return "--tp must be at least 1";
  if (c.n_heads % size) return "the model's " + std::to_string(c.n_heads) + " attention heads do not split " + std::to_string(size) + " ways";
  if (c.n_kv_heads % size)
    return "the model's " + std::to_string(c.n_kv_heads) + " KV heads do not split " + std::to_string(size) + " ways";
  if (c.hidden_dim < size || c.vocab_size < size) return "the model is too small for --tp " + std::to_string(size);
  return "";
}

TpShard tp_shard(const ModelConfig& c, int rank, int size) {
  std::string why = tp_check(c, size);
  if (!why.empty()) throw std::invalid_argument(why);
  if (rank < 0 || rank >= size) throw std::invalid_argument("tp_shard: rank out of range");
  TpShard s;
  s.rank = rank;
  s.size = size;
  s.n_q_heads = c.n_heads / size;
  s.q_head_begin = rank * s.n_q_heads;
  s.n_kv_heads = c.n_kv_heads / size;
  s.kv_head_begin = rank * s.n_kv_heads;
  auto [f0, f1] = tp_range(c.hidden_dim, rank, size);
  s.ffn_begin = (int)f0;
  s.ffn = (int)(f1 - f0);
  auto [v0, v1] = tp_range(c.vocab_size, rank, size);
  s.vocab_begin = v0;
  s.vocab = v1 - v0;
  return s;
}

namespace {

// Rows [r0, r1) and columns [c0, c1) of a weight, dequantized to fp32 row-major.
std::vector<float> slice(const Matrix& m, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  std::vector<float> row(m.cols), out((size_t)(r1 - r0) * (c1 - c0));
  for (int64_t r = r0; r < r1; ++r) {
    dequantize_row(m.dtype, m.row(r), row.data(), m.cols);
    std::copy(row.begin() + c0, row.begin() + c1, out.begin() + (r - r0) * (c1 - c0));
  }
  return out;
}

// y[n] = sum_k w[n][k] x[k]
void matvec(const std::vector<float>& w, int64_t rows, int64_t cols, const float* x, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* wr = w.data() + r * cols;
    float s = 0;
    for (int64_t k = 0; k < cols; ++k) s += wr[k] * x[k];
    y[r] = s;
  }
}

void rmsnorm(float* out, const float* x, const float* w, int n, float eps) {
  float ss = 0;
  for (int i = 0; i < n; ++i) ss += x[i] * x[i];
  ss = 1.0f / std::sqrt(ss / n + eps);
  for (int i = 0; i < n; ++i) out[i] = w[i] * (ss * x[i]);
}

}  // namespace

struct TpReferenceRank::Weights {
  struct Layer {
    std::vector<float> wq, wk, wv, wo, gate, up, down, bq, bk, bv;
  };
  std::vector<Layer> layers;
  std::vector<float> embd, out;  // vocabulary slices
};

TpReferenceRank::TpReferenceRank(std::shared_ptr<const Model> model, Communicator& comm)
    : model_(std::move(model)), comm_(comm), shard_(tp_shard(model_->config, comm.rank(), comm.size())) {
  const ModelConfig& c = model_->config;
  const int hd = c.head_dim, dim = c.dim;
  const TpShard& s = shard_;
  w_ = std::make_unique<Weights>();
  const int64_t q0 = (int64_t)s.q_head_begin * hd, q1 = q0 + (int64_t)s.n_q_heads * hd;
  const int64_t k0 = (int64_t)s.kv_head_begin * hd, k1 = k0 + (int64_t)s.n_kv_heads * hd;
  for (const LayerWeights& lw : model_->layers) {
    Weights::Layer L;
    L.wq = slice(lw.wq, q0, q1, 0, dim);
    L.wk = slice(lw.wk, k0, k1, 0, dim);
    L.wv = slice(lw.wv, k0, k1, 0, dim);
    L.wo = slice(lw.wo, 0, dim, q0, q1);  // row-parallel: this rank's input columns
    L.gate = slice(lw.w_gate, s.ffn_begin, s.ffn_begin + s.ffn, 0, dim);
    L.up = slice(lw.w_up, s.ffn_begin, s.ffn_begin + s.ffn, 0, dim);
    L.down = slice(lw.w_down, 0, dim, s.ffn_begin, s.ffn_begin + s.ffn);
    if (lw.bq) L.bq.assign(lw.bq + q0, lw.bq + q1);
    if (lw.bk) L.bk.assign(lw.bk + k0, lw.bk + k1);
    if (lw.bv) L.bv.assign(lw.bv + k0, lw.bv + k1);
    w_->layers.push_back(std::move(L));
  }
  w_->embd = slice(model_->tok_embd, s.vocab_begin, s.vocab_begin + s.vocab, 0, dim);
  w_->out = slice(model_->output, s.vocab_begin, s.vocab_begin + s.vocab, 0, dim);
  k_cache_.resize(c.n_layers);
  v_cache_.resize(c.n_layers);
}

TpReferenceRank::~TpReferenceRank() = default;

std::vector<float> TpReferenceRank::forward(std::span<const int32_t> tokens, int pos) {
  const ModelConfig& c = model_->config;
  const TpShard& s = shard_;
  const int dim = c.dim, hd = c.head_dim, half = hd / 2;
  const int lq = s.n_q_heads * hd, lkv = s.n_kv_heads * hd, ffn = s.ffn;
  const int group = c.n_heads / c.n_kv_heads;
  const int n = (int)tokens.size();
  const float scale = 1.0f / std::sqrt((float)hd);

  // Vocabulary-parallel embedding: own rows or zeros, then all-reduce.
  std::vector<float> x((size_t)n * dim, 0.0f);
  for (int t = 0; t < n; ++t) {
    const int64_t r = tokens[t] - s.vocab_begin;
    if (r >= 0 && r < s.vocab) std::copy_n(w_->embd.data() + r * dim, dim, x.data() + (size_t)t * dim);
  }
  comm_.all_reduce_sum(x.data(), x.size(), CommDType::F32);

  std::vector<float> xb(dim), q(lq), k(lkv), v(lkv), att(lq), o((size_t)n * dim), hb(ffn), hu(ffn), sc;
  auto rope = [&](float* vec, int heads, int p) {
    for (int h = 0; h < heads; ++h) {
      float* r = vec + h * hd;
      std::vector<float> tmp(r, r + hd);
      for (int i = 0; i < half; ++i) {
        const float a_ = (float)p * model_->rope_inv_freq[i];
        const float cs = std::cos(a_), sn = std::sin(a_);
        const float a = c.rope_interleaved ? tmp[2 * i] : tmp[i];
        const float b = c.rope_interleaved ? tmp[2 * i + 1] : tmp[i + half];
        r[2 * i] = a * cs - b * sn;  // rotate-half results stored interleaved, as the engines
        r[2 * i + 1] = a * sn + b * cs;
      }
    }
  };
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& mw = model_->layers[l];
    const Weights::Layer& L = w_->layers[l];
    auto& kc = k_cache_[l];
    auto& vc = v_cache_[l];
    kc.resize((size_t)(pos + n) * lkv);
    vc.resize((size_t)(pos + n) * lkv);
    for (int t = 0; t < n; ++t) {
      const int p = pos + t;
      rmsnorm(xb.data(), x.data() + (size_t)t * dim, mw.attn_norm, dim, c.norm_eps);
      matvec(L.wq, lq, dim, xb.data(), q.data());
      matvec(L.wk, lkv, dim, xb.data(), k.data());
      matvec(L.wv, lkv, dim, xb.data(), v.data());
      for (size_t i = 0; i < L.bq.size(); ++i) q[i] += L.bq[i];
      for (size_t i = 0; i < L.bk.size(); ++i) k[i] += L.bk[i];
      for (size_t i = 0; i < L.bv.size(); ++i) v[i] += L.bv[i];
      rope(q.data(), s.n_q_heads, p);
      rope(k.data(), s.n_kv_heads, p);
      std::copy(k.begin(), k.end(), kc.begin() + (size_t)p * lkv);
      std::copy(v.begin(), v.end(), vc.begin() + (size_t)p * lkv);
    }
    // Attention of the local heads (K/V of this call's tokens are all stored first: causal).
    for (int t = 0; t < n; ++t) {
      const int p = pos + t;
      const int first = c.sliding_window > 0 ? std::max(0, p + 1 - c.sliding_window) : 0;
      // Recompute q for this token (cheap in a reference; keeps the loop above simple).
      rmsnorm(xb.data(), x.data() + (size_t)t * dim, mw.attn_norm, dim, c.norm_eps);
      matvec(L.wq, lq, dim, xb.data(), q.data());
      for (size_t i = 0; i < L.bq.size(); ++i) q[i] += L.bq[i];
      rope(q.data(), s.n_q_heads, p);
      for (int h = 0; h < s.n_q_heads; ++h) {
        const int kh = h / group;  // local: rank's q heads map onto its own KV heads
        sc.assign(p + 1 - first, 0.0f);
        float mx = -INFINITY;
        for (int j = first; j <= p; ++j) {
          float d = 0;
          for (int i = 0; i < hd; ++i) d += q[h * hd + i] * kc[(size_t)j * lkv + kh * hd + i];
          sc[j - first] = d * scale;
          mx = std::max(mx, sc[j - first]);
        }
        float sum = 0;
        for (float& e : sc) sum += e = std::exp(e - mx);
        for (int i = 0; i < hd; ++i) {
          float a = 0;
          for (int j = first; j <= p; ++j) a += sc[j - first] * vc[(size_t)j * lkv + kh * hd + i];
          att[h * hd + i] = a / sum;
        }
      }
      matvec(L.wo, dim, lq, att.data(), o.data() + (size_t)t * dim);
    }
    comm_.all_reduce_sum(o.data(), o.size(), CommDType::F32);  // all-reduce 1: attention output
    for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
    for (int t = 0; t < n; ++t) {
      rmsnorm(xb.data(), x.data() + (size_t)t * dim, mw.ffn_norm, dim, c.norm_eps);
      matvec(L.gate, ffn, dim, xb.data(), hb.data());
      matvec(L.up, ffn, dim, xb.data(), hu.data());
      for (int i = 0; i < ffn; ++i) hb[i] = hb[i] / (1.0f + std::exp(-hb[i])) * hu[i];
      matvec(L.down, dim, ffn, hb.data(), o.data() + (size_t)t * dim);
    }
    comm_.all_reduce_sum(o.data(), o.size(), CommDType::F32);  // all-reduce 2: MLP output
    for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
  }

  // Vocabulary-parallel LM head: each rank's slice, all-gathered. Slices can differ in length
  // by one row, so each gathers a padded slice of ceil(vocab / size) rows.
  const int64_t V = c.vocab_size, per = (V + s.size - 1) / s.size;
  std::vector<float> mine((size_t)n * per, 0.0f), all((size_t)n * per * s.size);
  for (int t = 0; t < n; ++t) {
    rmsnorm(xb.data(), x.data() + (size_t)t * dim, model_->out_norm, dim, c.norm_eps);
    matvec(w_->out, s.vocab, dim, xb.data(), mine.data() + (size_t)t * per);
  }
  // Gather token-major slices: rank r's block holds [n][per].
  comm_.all_gather(mine.data(), all.data(), mine.size(), CommDType::F32);
  std::vector<float> logits((size_t)n * V);
  for (int r = 0; r < s.size; ++r) {
    auto [v0, v1] = tp_range(V, r, s.size);
    for (int t = 0; t < n; ++t)
      std::copy_n(all.data() + ((size_t)r * n + t) * per, v1 - v0, logits.data() + (size_t)t * V + v0);
  }
  return logits;
}

}  // namespace sgl
