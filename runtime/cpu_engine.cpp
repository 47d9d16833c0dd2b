// Forward pass of the CPU engine. All new tokens of all sequences form one [T, dim] activation
// matrix, so every weight is streamed once per step whatever the mix of prefill and decode;
// only attention is per sequence, reading K/V through each sequence's slot list.
#include "cpu_engine.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>

#include "cpu_kernels.h"

namespace sgl {

struct CpuEngine::ActBuf {
  ActBuf(const float* x_, int64_t ldx_, int n_, int64_t cols_, ThreadPool* pool_, ActStore& st_)
      : x(x_), ldx(ldx_), n(n_), cols(cols_), pool(pool_), st(st_) {}
  const float* x;
  int64_t ldx;
  int n;
  int64_t cols;
  bool have_q8 = false, have_bf = false;
  bool have_packed[5] = {};
  ThreadPool* pool;
  ActStore& st;
  // Optional per-token work that produces rows [t0, t1) of x (a norm, SwiGLU, ...): run inside
  // the first conversion/packing pass over the same tokens, which saves one fork-join, or on its
  // own (prep_grain tokens per chunk) where get() has nothing to convert.
  std::function<void(int64_t, int64_t)> prep;
  int64_t prep_grain = 1;
  bool prepped = false;

  void run_prep(int64_t t0, int64_t t1) {
    if (!prepped && prep) prep(t0, t1);
  }
  void prep_all() {
    if (!prepped && prep) pool->parallel_for(n, prep_grain, prep);
    prepped = true;
  }

  cpu::Acts get(DType dt) {
    const auto& K = cpu::kernels();
    cpu::Acts a;
    a.x = x;
    a.ldx = ldx;
    a.n = n;
    a.cols = cols;
    const bool packs = cpu::wants_packed(n) && (K.packed_dtypes >> (int)dt & 1u);
    const int di = (int)dt;
    if ((dt == DType::Q8_0 || dt == DType::Q4_0) && !have_q8) {
      int64_t nb = cols / kQBlock;
      // Grow only (no zero-fill each time the width goes from 288 to 768 and back).
      if (st.q.size() < (size_t)n * cols) st.q.resize((size_t)n * cols);
      if (st.qd.size() < (size_t)n * nb) st.qd.resize((size_t)n * nb);
      if (st.qs.size() < (size_t)n * nb) st.qs.resize((size_t)n * nb);
      a.q = st.q.data();
      a.qd = st.qd.data();
      a.qs = st.qs.data();
      // Prefill: each 16-token group is quantised and packed by one thread in one pass.
      if (packs) cpu::pack_acts_prepare(dt, a, st.packed[di]);
      pool->parallel_for(n, packs ? 16 : 1, [&](int64_t t0, int64_t t1) {
        run_prep(t0, t1);
        for (int64_t t = t0; t < t1; ++t)
          K.quantize_row_q8(x + t * ldx, cols, st.q.data() + t * cols, st.qd.data() + t * nb, st.qs.data() + t * nb);
        if (packs) cpu::pack_acts_range(dt, a, st.packed[di], t0, t1);
      });
      have_q8 = true;
      have_packed[di] = packs;
      prepped = true;
    }
    if (dt == DType::BF16 && !packs && !have_bf) {
      if (st.bf.size() < (size_t)n * cols) st.bf.resize((size_t)n * cols);
      pool->parallel_for(n, 1, [&](int64_t t0, int64_t t1) {
        run_prep(t0, t1);
        for (int64_t t = t0; t < t1; ++t) K.row_to_bf16(x + t * ldx, cols, st.bf.data() + t * cols);
      });
      have_bf = true;
      prepped = true;
    }
    a.q = st.q.data();
    a.qd = st.qd.data();
    a.qs = st.qs.data();
    // F32/F16/BF16 prefill (or a second int8 layout): pack, with the prep, one pass per 16-token
    // group. BF16 rows are converted straight into the packed layout (a.bf stays unset: the packed
    // GEMM does not read it).
    if (packs && !have_packed[di]) {
      cpu::pack_acts_prepare(dt, a, st.packed[di]);
      pool->parallel_for(n, 16, [&](int64_t t0, int64_t t1) {
        run_prep(t0, t1);
        cpu::pack_acts_range(dt, a, st.packed[di], t0, t1);
      });
      have_packed[di] = true;
      prepped = true;
    }
    prep_all();  // nothing to convert (decode on F32 weights): the prep on its own
    a.bf = have_bf ? st.bf.data() : nullptr;
    // Prefill-sized batches use the packed GEMM layout; only the SIMD tables read it.
    if (packs) a.packed = &st.packed[di];
    return a;
  }
};

CpuEngine::CpuEngine(std::shared_ptr<const Model> model, const CpuEngineOptions& opt)
    : model_(std::move(model)),
      pool_(opt.threads),
      kv_(model_->config, opt.kv_slots > 0 ? opt.kv_slots : std::min(model_->config.max_seq_len, 8192)) {}

const char* CpuEngine::isa() const { return cpu::kernels().isa; }

std::unique_ptr<Engine> make_cpu_engine(std::shared_ptr<const Model> model, const CpuEngineOptions& opt) {
  return std::make_unique<CpuEngine>(std::move(model), opt);
}

void CpuEngine::matmul(const Matrix& w, ActBuf& a, float* y, int64_t ldy) {
  const Matrix* ws[1] = {&w};
  float* ys[1] = {y};
  int64_t ld[1] = {ldy};
  matmul3(*ws, 1, a, ys, ld);
}

// Several matrices sharing one input (q/k/v, gate/up) run as one parallel region over their
// concatenated rows, halving the number of thread synchronisations per layer.
void CpuEngine::matmul3(const Matrix* ws, int nw, ActBuf& a, float* const* ys, const int64_t* ldys) {
  const auto& K = cpu::kernels();
  cpu::Acts acts[3];
  int64_t total = 0, starts[4];
  for (int i = 0; i < nw; ++i) {
    acts[i] = a.get(ws[i].dtype);
    starts[i] = total;
    total += ws[i].rows;
  }
  starts[nw] = total;
  // Row chunks of 16 keep the 4-row tiles whole. Tiny products run on the calling thread: waking
  // a worker costs more than they do.
  int64_t grain = std::max<int64_t>(16, (total / (4 * pool_.size()) + 15) / 16 * 16);
  if (total * ws[0].cols * a.n < (1 << 15)) grain = total;
  auto rows = [&](int64_t b, int64_t e) {
    for (int i = 0; i < nw; ++i) {
      int64_t lo = std::max(b, starts[i]), hi = std::min(e, starts[i + 1]);
      if (lo < hi) K.matmul(ws[i], acts[i], ys[i], ldys[i], lo - starts[i], hi - starts[i]);
    }
  };
  if (cpu::wants_packed(a.n) && grain < total && pool_.size() > 1) {
    // Prefill (compute-bound): guided chunks, each a 1/(2 * threads) share of the rows still
    // unclaimed (multiples of 16), so the last chunks are small and threads finish together;
    // equal chunks of 1/(4 * threads) left one thread waiting about half a chunk per matmul.
    int64_t bounds[65];
    int nc = 0;
    bounds[0] = 0;
    for (int64_t r = 0; r < total && nc < 63;) {
      int64_t c = std::max<int64_t>(16, ((total - r) / (2 * pool_.size()) + 15) / 16 * 16);
      r = std::min(total, r + c);
      bounds[++nc] = r;
    }
    bounds[nc] = total;
    pool_.parallel_for(nc, 1, [&](int64_t c0, int64_t c1) { rows(bounds[c0], bounds[c1]); });
    return;
  }
  pool_.parallel_for(total, grain, rows);
}

void CpuEngine::forward(std::span<const SeqInput> batch, std::vector<float>& logits) {
  const Model& m = *model_;
  const ModelConfig& c = m.config;
  const int dim = c.dim, hd = c.head_dim, nh = c.n_heads, nkv = c.n_kv_heads;
  const int qd = nh * hd, kvd = nkv * hd, ffn = c.hidden_dim, V = c.vocab_size, half = hd / 2;
  const auto& K = cpu::kernels();

  // Flatten the batch and validate it.
  int T = 0, n_out = 0;
  for (auto& s : batch) {
    if (s.pos < 0 || s.slots.size() < (size_t)s.pos + s.tokens.size())
      throw std::invalid_argument("forward: a sequence has fewer slots than positions");
    T += (int)s.tokens.size();
    n_out += s.tokens.empty() ? 0 : (s.all_logits ? (int)s.tokens.size() : 1);
  }
  logits.assign((size_t)n_out * V, 0.0f);
  if (T == 0) return;
  tok_pos_.resize(T);
  tok_seq_.resize(T);
  x_.resize((size_t)T * dim);
  {
    int t = 0;
    for (size_t si = 0; si < batch.size(); ++si) {
      auto& s = batch[si];
      for (size_t i = 0; i < s.tokens.size(); ++i, ++t) {
        int32_t tok = s.tokens[i];
        if (tok < 0 || tok >= V) throw std::invalid_argument("forward: token id " + std::to_string(tok) + " out of range");
        int32_t slot = s.slots[s.pos + i];
        if (slot < 0 || slot >= kv_.capacity()) throw std::invalid_argument("forward: slot out of range");
        tok_pos_[t] = s.pos + (int32_t)i;
        tok_seq_[t] = (int32_t)si;
        dequantize_row(m.tok_embd.dtype, m.tok_embd.row(tok), x_.data() + (size_t)t * dim, dim);
      }
    }
  }
  xb_.resize((size_t)T * dim);
  q_.resize((size_t)T * qd);
  k_.resize((size_t)T * kvd);
  v_.resize((size_t)T * kvd);
  att_.resize((size_t)T * qd);
  hb_.resize((size_t)T * ffn);
  hb2_.resize((size_t)T * ffn);
  tmp_.resize((size_t)T * std::max(dim, qd));
  rope_cos_.resize((size_t)T * half);
  rope_sin_.resize((size_t)T * half);
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < half; ++i) {
      // float angle as in llama2.c, so greedy outputs match its reference bit for bit.
      float a = (float)tok_pos_[t] * m.rope_inv_freq[i];
      rope_cos_[(size_t)t * half + i] = std::cos(a);
      rope_sin_[(size_t)t * half + i] = std::sin(a);
    }
  // Rotate-half models (not interleaved) store the rotated pairs interleaved: q.k is invariant
  // under a shared permutation, and this makes HF and GGUF/llama2.c copies of one model compute
  // bit-identical attention.
  auto rope = [&](float* vec, int n_heads, int t) {
    K.rope(vec, n_heads, hd, rope_cos_.data() + (size_t)t * half, rope_sin_.data() + (size_t)t * half,
           c.rope_interleaved);
  };
  const float scale = 1.0f / std::sqrt((float)hd);
  // Per-token elementwise work is split across threads only for batches big enough to pay for it.
  const int64_t small_grain = (int64_t)T * dim < 16384 ? T : 8;
  bool compact = false;  // the last layer keeps only the rows that want logits (see there)
  // Per-thread attention score buffers sized for the longest context in the batch.
  int max_ctx = 0;
  for (auto& s : batch) max_ctx = std::max(max_ctx, s.pos + (int)s.tokens.size());


  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = m.layers[l];
    {
      ActBuf a(xb_.data(), dim, T, dim, &pool_, act_);
      // The previous layer's FFN residual and this layer's norm, fused into the activation pass.
      a.prep = [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t)
          K.add_rmsnorm(xb_.data() + t * dim, x_.data() + t * dim, l > 0 ? tmp_.data() + t * dim : nullptr,
                        w.attn_norm, dim, c.norm_eps);
      };
      a.prep_grain = small_grain;
      Matrix ws[3] = {w.wq, w.wk, w.wv};
      float* ys[3] = {q_.data(), k_.data(), v_.data()};
      int64_t ld[3] = {qd, kvd, kvd};
      matmul3(ws, 3, a, ys, ld);
    }
    pool_.parallel_for(T, small_grain, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        float* q = q_.data() + t * qd;
        float* k = k_.data() + t * kvd;
        float* v = v_.data() + t * kvd;
        if (w.bq) for (int i = 0; i < qd; ++i) q[i] += w.bq[i];
        if (w.bk) for (int i = 0; i < kvd; ++i) k[i] += w.bk[i];
        if (w.bv) for (int i = 0; i < kvd; ++i) v[i] += w.bv[i];
        rope(q, nh, (int)t);
        rope(k, nkv, (int)t);
        const SeqInput& s = batch[tok_seq_[t]];
        int32_t slot = s.slots[tok_pos_[t]];
        std::memcpy(kv_.k(l, slot), k, sizeof(float) * kvd);
        std::memcpy(kv_.v(l, slot), v, sizeof(float) * kvd);
      }
    });
    // Last layer: every token's K/V is stored, but only the rows that want logits need the rest
    // (attention output, wo, FFN); keep those rows, in logits order, and drop the others.
    if (l == c.n_layers - 1 && n_out < T) {
      int t = 0, o = 0;
      for (auto& s : batch) {
        const int n = (int)s.tokens.size();
        for (int i = 0; i < n; ++i, ++t)
          if (s.all_logits || i == n - 1) {
            if (o != t) {
              std::memcpy(q_.data() + (size_t)o * qd, q_.data() + (size_t)t * qd, sizeof(float) * qd);
              std::memcpy(x_.data() + (size_t)o * dim, x_.data() + (size_t)t * dim, sizeof(float) * dim);
              tok_pos_[o] = tok_pos_[t];
              tok_seq_[o] = tok_seq_[t];
            }
            ++o;
          }
      }
      T = n_out;
      compact = true;
    }
    const int64_t grain = compact ? ((int64_t)T * dim < 16384 ? T : 8) : small_grain;
    // Attention: one work item per (token, head).
    int64_t att_work = 0;
    for (int t = 0; t < T; ++t) att_work += (int64_t)(tok_pos_[t] + 1) * qd;
    // Attention work items: (run of up to 16 consecutive prompt tokens of one sequence, head)
    // for the lane kernel, or (single token, head) for decode steps and short runs.
    att_items_.clear();
    for (int t = 0; t < T;) {
      int run = 1;
      while (run < 16 && t + run < T && tok_seq_[t + run] == tok_seq_[t] && tok_pos_[t + run] == tok_pos_[t] + run)
        ++run;
      // The lane kernel assumes every query sees the context from position 0; where a sliding
      // window cuts it, each query attends on its own.
      const bool windowed = c.sliding_window > 0 && tok_pos_[t] + run > c.sliding_window;
      const int nq = (K.attend16 && run >= 4 && !windowed) ? run : 1;
      for (int h = 0; h < nh; ++h) att_items_.push_back({t, nq, h});
      t += nq;
    }
    auto attention = [&](int64_t i0, int64_t i1) {
      thread_local std::vector<float> sc;
      thread_local std::vector<const float*> kp, vp;
      sc.resize((size_t)(max_ctx + hd) * 16);
      kp.resize(max_ctx);
      vp.resize(max_ctx);
      int last_t = -1, last_n = 0;
      for (int64_t it = i0; it < i1; ++it) {
        // Items in reverse: later prompt runs see longer contexts and cost more, so the costliest
        // go first and the last chunks claimed are the cheap ones (less waiting at the join).
        const auto [t, nq, h] = att_items_[att_items_.size() - 1 - it];
        const SeqInput& s = batch[tok_seq_[t]];
        const int pos = tok_pos_[t], npos = pos + nq;
        if (t != last_t || npos != last_n) {  // slot addresses of the context, shared by the heads
          for (int p = 0; p < npos; ++p) {
            kp[p] = kv_.k(l, s.slots[p]);
            vp[p] = kv_.v(l, s.slots[p]);
          }
          last_t = t;
          last_n = npos;
        }
        const int kh = h / (nh / nkv);
        float* out = att_.data() + (size_t)t * qd + h * hd;
        const float* qp = q_.data() + (size_t)t * qd + h * hd;
        if (nq > 1)
          K.attend16(qp, qd, nq, pos, kp.data(), vp.data(), kh * hd, hd, scale, out, qd, sc.data());
        else {
          const int first = c.sliding_window > 0 ? std::max(0, pos + 1 - c.sliding_window) : 0;
          K.attend(qp, kp.data() + first, vp.data() + first, kh * hd, pos + 1 - first, hd, scale, out, sc.data());
        }
      }
    };
    const int64_t items = (int64_t)att_items_.size();
    if (att_work < (1 << 14)) attention(0, items);
    else pool_.parallel_for(items, std::max<int64_t>(1, items / (8 * pool_.size())), attention);
    {
      ActBuf a(att_.data(), qd, T, qd, &pool_, act_);
      matmul(w.wo, a, tmp_.data(), dim);
    }
    {
      ActBuf a(xb_.data(), dim, T, dim, &pool_, act_);
      a.prep = [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t)
          K.add_rmsnorm(xb_.data() + t * dim, x_.data() + t * dim, tmp_.data() + t * dim, w.ffn_norm, dim,
                        c.norm_eps);
      };
      a.prep_grain = grain;
      Matrix ws[2] = {w.w_gate, w.w_up};
      float* ys[2] = {hb_.data(), hb2_.data()};
      int64_t ld[2] = {ffn, ffn};
      matmul3(ws, 2, a, ys, ld);
    }
    {
      ActBuf a(hb_.data(), ffn, T, ffn, &pool_, act_);
      a.prep = [&](int64_t t0, int64_t t1) {
        K.silu_mul(hb_.data() + t0 * ffn, hb2_.data() + t0 * ffn, (t1 - t0) * ffn);
      };
      a.prep_grain = std::max<int64_t>(1, 8192 / ffn);
      matmul(w.w_down, a, tmp_.data(), dim);
    }
    // (The FFN residual is added by the next layer's first activation pass, or by the final norm.)
  }

  // Last FFN residual, final norm and classifier, only for the rows that want logits (x_ of the
  // other rows is left without the last residual; nothing reads it).
  AlignedVec<float>& xo = xo_;
  xo.resize((size_t)n_out * dim);
  {
    int t = 0, o = 0;
    for (auto& s : batch) {
      int n = (int)s.tokens.size();
      for (int i = 0; i < n; ++i, ++t)
        if (s.all_logits || i == n - 1) {
          const size_t r = compact ? (size_t)o : (size_t)t;  // the row of x_/tmp_
          K.add_rmsnorm(xo.data() + (size_t)o * dim, x_.data() + r * dim,
                        c.n_layers > 0 ? tmp_.data() + r * dim : nullptr, m.out_norm, dim, c.norm_eps);
          ++o;
        }
    }
  }
  ActBuf a(xo.data(), dim, n_out, dim, &pool_, act_);
  const Matrix* ws = &m.output;
  float* ys[1] = {logits.data()};
  int64_t ld[1] = {V};
  matmul3(ws, 1, a, ys, ld);
}

}  // namespace sgl
