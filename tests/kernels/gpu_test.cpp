// Every CUDA kernel against its CPU reference, and the CUDA engine against the CPU engine.
// Label `gpu`: without a GPU every case prints "SKIPPED: no CUDA GPU" and passes.
// Tolerances: bf16 outputs within 2 bf16 ulps relative (1.6e-2) of the reference (computed from
// the same bf16 inputs); fp32 outputs 1e-4 relative; GEMM 1e-2 relative (accumulation order);
// whole-model logits 5e-2 of the max |logit| (bf16 weights vs the CPU engine's f32), greedy
// stories260K text identical.
#include <cuda_runtime.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "../runtime/test_models.h"
#include "attention.cuh"
#include "bias.cuh"
#include "cuda_engine.h"
#include "device.h"
#include "dtype.h"
#include "embedding.cuh"
#include "gemm.cuh"
#include "kv_store.cuh"
#include "logits_mask.cuh"
#include "model_loader.h"
#include "random_model.h"
#include "rmsnorm.cuh"
#include "rope.cuh"
#include "sampling.cuh"
#include "silu_mul.cuh"

using namespace sgl;

namespace {

bool have_gpu() {
  static const int n = probe_devices().cuda_devices;
  if (n == 0) MESSAGE("SKIPPED: no CUDA GPU (" << describe_devices(probe_devices()) << ")");
  return n > 0;
}

template <class T>
struct Dev {
  T* p = nullptr;
  size_t n = 0;
  explicit Dev(const std::vector<T>& h) : n(h.size()) {
    REQUIRE(cudaMalloc(&p, std::max<size_t>(n, 1) * sizeof(T)) == cudaSuccess);
    if (n) REQUIRE(cudaMemcpy(p, h.data(), n * sizeof(T), cudaMemcpyHostToDevice) == cudaSuccess);
  }
  ~Dev() { cudaFree(p); }
  std::vector<T> get() const {
    REQUIRE(cudaDeviceSynchronize() == cudaSuccess);
    std::vector<T> h(n);
    if (n) REQUIRE(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost) == cudaSuccess);
    return h;
  }
};

std::vector<uint16_t> rand_bf16(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<uint16_t> v(n);
  for (auto& x : v) x = f32_to_bf16(d(g));
  return v;
}
std::vector<float> rand_f32(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

void check_bf16(const std::vector<uint16_t>& got, const std::vector<uint16_t>& want, float rel = 1.6e-2f) {
  REQUIRE(got.size() == want.size());
  float scale = 0;
  for (auto w : want) scale = std::max(scale, std::fabs(bf16_to_f32(w)));
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    float a = bf16_to_f32(got[i]), b = bf16_to_f32(want[i]);
    if (std::fabs(a - b) > rel * std::max(std::fabs(b), 0.05f * scale) && bad++ < 5) CHECK_MESSAGE(false, i << ": " << a << " vs " << b);
  }
  CHECK(bad == 0);
}
void check_f32(const std::vector<float>& got, const std::vector<float>& want, float rel) {
  REQUIRE(got.size() == want.size());
  float scale = 1e-6f;
  for (float w : want) scale = std::max(scale, std::fabs(w));
  float d = 0;
  for (size_t i = 0; i < got.size(); ++i) d = std::max(d, std::fabs(got[i] - want[i]));
  CHECK(d / scale < rel);
}

}  // namespace

TEST_CASE("embedding (vocabulary shard)") {
  if (!have_gpu()) return;
  const int V = 300, dim = 96, T = 7;
  auto table = rand_bf16((size_t)V * dim, 1);
  std::vector<int32_t> tok = {0, 5, 299, 150, 151, 42, 7};
  std::vector<float> want((size_t)T * dim);
  cuda::embedding_ref(table.data(), 150, dim, 150, tok.data(), T, want.data());
  Dev<uint16_t> dt(std::vector<uint16_t>(table.begin() + 150 * dim, table.end()));
  Dev<int32_t> dtok(tok);
  Dev<float> x(std::vector<float>((size_t)T * dim));
  cuda::embedding(dt.p, 150, dim, 150, dtok.p, T, x.p, nullptr);
  CHECK(x.get() == want);
}

TEST_CASE("add_rmsnorm, with and without the residual add and row selection") {
  if (!have_gpu()) return;
  const int dim = 2048, n = 5;
  auto x = rand_f32((size_t)n * dim, 2), d = rand_f32((size_t)n * dim, 3), w = rand_f32(dim, 4);
  std::vector<float> xr = x;
  std::vector<uint16_t> want((size_t)n * dim);
  cuda::add_rmsnorm_ref(xr.data(), d.data(), w.data(), dim, 1e-5f, n, nullptr, want.data());
  Dev<float> dx(x), dd(d), dw(w);
  Dev<uint16_t> out(std::vector<uint16_t>((size_t)n * dim));
  cuda::add_rmsnorm(dx.p, dd.p, dw.p, dim, 1e-5f, n, nullptr, out.p, nullptr);
  check_bf16(out.get(), want);
  check_f32(dx.get(), xr, 1e-6f);
  std::vector<int32_t> rows = {4, 1};
  std::vector<uint16_t> want2(2 * dim);
  cuda::add_rmsnorm_ref(xr.data(), nullptr, w.data(), dim, 1e-5f, 2, rows.data(), want2.data());
  Dev<int32_t> drows(rows);
  Dev<uint16_t> out2(std::vector<uint16_t>(2 * dim));
  cuda::add_rmsnorm(dx.p, nullptr, dw.p, dim, 1e-5f, 2, drows.p, out2.p, nullptr);
  check_bf16(out2.get(), want2);
}

TEST_CASE("rope: interleaved and rotate-half, Llama 3 inverse frequencies") {
  if (!have_gpu()) return;
  ModelConfig c = random_model_config("llama-3.2-1b");
  auto m = std::make_unique<Model>();
  m->config = c;
  init_rope(*m);  // Llama 3 scaled inverse frequencies
  const int nq = 4, nk = 2, hd = c.head_dim, T = 6, ld = (nq + 2 * nk) * hd + 8;
  std::vector<int32_t> pos = {0, 1, 17, 300, 4096, 100000};
  for (bool inter : {true, false}) {
    CAPTURE(inter);
    auto qkv = rand_bf16((size_t)T * ld, 5);
    auto want = qkv;
    cuda::rope_ref(want.data(), ld, T, pos.data(), m->rope_inv_freq.data(), nq, nk, hd, inter);
    Dev<uint16_t> d(qkv);
    Dev<int32_t> dp(pos);
    Dev<float> f(m->rope_inv_freq);
    cuda::rope(d.p, ld, T, dp.p, f.p, nq, nk, hd, inter, nullptr);
    check_bf16(d.get(), want);
  }
}

TEST_CASE("silu_mul, bias, kv_store, token mask") {
  if (!have_gpu()) return;
  const int T = 9, ffn = 1000;
  auto gu = rand_bf16((size_t)T * 2 * ffn, 6, 2.0f);
  std::vector<uint16_t> want((size_t)T * ffn);
  cuda::silu_mul_ref(gu.data(), T, ffn, want.data());
  Dev<uint16_t> dgu(gu), out(std::vector<uint16_t>((size_t)T * ffn));
  cuda::silu_mul(dgu.p, T, ffn, out.p, nullptr);
  check_bf16(out.get(), want);

  auto b = rand_f32(ffn, 7);
  auto y = gu;
  cuda::add_bias_ref(y.data(), 2 * ffn, b.data(), T, ffn);
  Dev<float> db(b);
  cuda::add_bias(dgu.p, 2 * ffn, db.p, T, ffn, nullptr);
  check_bf16(dgu.get(), y);

  const int kvd = 64, slots_n = 50, ld = 3 * kvd;
  auto qkv = rand_bf16((size_t)T * ld, 8);
  std::vector<int32_t> slots = {3, 49, 0, 10, 11, 12, 20, 30, 40};
  std::vector<uint16_t> kc((size_t)slots_n * kvd), vc = kc;
  cuda::kv_store_ref(qkv.data(), ld, kvd, 2 * kvd, kvd, T, slots.data(), kc.data(), vc.data());
  Dev<uint16_t> dq(qkv), dk(std::vector<uint16_t>((size_t)slots_n * kvd)), dv(std::vector<uint16_t>((size_t)slots_n * kvd));
  Dev<int32_t> ds(slots);
  cuda::kv_store(dq.p, ld, kvd, 2 * kvd, kvd, T, ds.p, dk.p, dv.p, nullptr);
  CHECK(dk.get() == kc);
  CHECK(dv.get() == vc);

  const int V = 1000, words = (V + 31) / 32;
  auto logits = rand_f32((size_t)3 * V, 9);
  std::vector<uint32_t> mask((size_t)2 * words);
  std::mt19937 g(10);
  for (auto& w : mask) w = g();
  std::vector<int32_t> mrow = {1, -1, 0};
  auto lw = logits;
  cuda::apply_token_mask_ref(lw.data(), 3, V, mask.data(), words, mrow.data());
  Dev<float> dl(logits);
  Dev<uint32_t> dm(mask);
  Dev<int32_t> dmr(mrow);
  cuda::apply_token_mask(dl.p, 3, V, dm.p, words, dmr.p, nullptr);
  CHECK(dl.get() == lw);
}

TEST_CASE("paged attention: decode and extend with a cached prefix, GQA, sliding window") {
  if (!have_gpu()) return;
  for (int hd : {8, 64, 128}) {
    for (int window : {0, 5}) {
      CAPTURE(hd);
      CAPTURE(window);
      const int nq = 8, nkv = 2, kvd = nkv * hd, n_slots = 200;
      auto kc = rand_bf16((size_t)n_slots * kvd, 11), vc = rand_bf16((size_t)n_slots * kvd, 12);
      // seq A: 20 cached + 4 new (extend); seq B: decode at position 37.
      std::vector<int32_t> table, seq_off, pos;
      for (int i = 0; i < 24; ++i) table.push_back(150 - i * 3);
      for (int i = 0; i < 38; ++i) table.push_back(i * 2 + 1);
      for (int i = 0; i < 4; ++i) {
        seq_off.push_back(0);
        pos.push_back(20 + i);
      }
      seq_off.push_back(24);
      pos.push_back(37);
      const int T = 5, ld = nq * hd + 2 * kvd;
      auto q = rand_bf16((size_t)T * ld, 13);
      cuda::AttentionArgs a;
      a.q = q.data();
      a.q_ld = ld;
      a.k_cache = kc.data();
      a.v_cache = vc.data();
      a.slot_table = table.data();
      a.seq_off = seq_off.data();
      a.pos = pos.data();
      a.T = T;
      a.n_q = nq;
      a.n_kv = nkv;
      a.head_dim = hd;
      a.window = window;
      a.scale = 1.0f / std::sqrt((float)hd);
      std::vector<uint16_t> want((size_t)T * nq * hd);
      a.out = want.data();
      cuda::attention_ref(a);
      Dev<uint16_t> dq(q), dk(kc), dv(vc), dout(std::vector<uint16_t>(want.size()));
      Dev<int32_t> dt(table), dso(seq_off), dp(pos);
      a.q = dq.p;
      a.k_cache = dk.p;
      a.v_cache = dv.p;
      a.slot_table = dt.p;
      a.seq_off = dso.p;
      a.pos = dp.p;
      a.out = dout.p;
      cuda::attention(a, nullptr);
      check_bf16(dout.get(), want, 2e-2f);
    }
  }
}

TEST_CASE("gemm through cuBLAS (bf16 in, fp32 accumulate)") {
  if (!have_gpu()) return;
  std::string err;
  auto g = cuda::Gemm::create(&err);
  REQUIRE_MESSAGE(g, err);
  const int T = 7, N = 300, K = 256;
  auto x = rand_bf16((size_t)T * K, 14), w = rand_bf16((size_t)N * K, 15);
  std::vector<float> want((size_t)T * N);
  cuda::gemm_ref(x.data(), K, w.data(), N, K, T, want.data(), N, true);
  Dev<uint16_t> dx(x), dw(w);
  Dev<float> dy(std::vector<float>((size_t)T * N));
  g->matmul(dx.p, K, dw.p, N, K, T, dy.p, N, true);
  check_f32(dy.get(), want, 1e-2f);
  std::vector<uint16_t> want16((size_t)T * N);
  cuda::gemm_ref(x.data(), K, w.data(), N, K, T, want16.data(), N, false);
  Dev<uint16_t> dy16(std::vector<uint16_t>((size_t)T * N));
  g->matmul(dx.p, K, dw.p, N, K, T, dy16.p, N, false);
  check_bf16(dy16.get(), want16, 2e-2f);
}

TEST_CASE("device sampling matches the reference for the same draws") {
  if (!have_gpu()) return;
  const int V = 5000, n = 6, max_top = 4;
  auto logits = rand_f32((size_t)n * V, 16, 3.0f);
  std::vector<cuda::SampleRow> rows(n);
  rows[0].temperature = 0;
  rows[1].temperature = 1.0f;
  rows[2].temperature = 0.7f;
  rows[2].top_k = 40;
  rows[3].temperature = 1.0f;
  rows[3].top_p = 0.9f;
  rows[4].temperature = 1.3f;
  rows[4].min_p = 0.05f;
  rows[5].temperature = 0.8f;
  rows[5].top_k = 100;
  rows[5].top_p = 0.8f;
  rows[5].min_p = 0.02f;
  std::vector<int32_t> pen_tok = {1, 2, 3};
  std::vector<float> pen_val = {0.5f, 1.0f, 2.0f};
  rows[5].pen_begin = 0;
  rows[5].pen_end = 3;
  for (int r = 0; r < n; ++r) {
    rows[r].uniform = cuda::sample_uniform(42, r);
    rows[r].top_logprobs = 3;
  }
  Dev<float> dl(logits), work(std::vector<float>((size_t)n * V)), lp(std::vector<float>((size_t)n)),
      tlp(std::vector<float>((size_t)n * max_top)), pv(pen_val);
  Dev<int32_t> tok(std::vector<int32_t>((size_t)n)), tid(std::vector<int32_t>((size_t)n * max_top)), pt(pen_tok);
  Dev<cuda::SampleRow> drows(rows);
  cuda::SampleBuffers b;
  b.logits = dl.p;
  b.n = n;
  b.vocab = V;
  b.rows = drows.p;
  b.pen_tok = pt.p;
  b.pen_val = pv.p;
  b.work = work.p;
  b.max_top = max_top;
  b.token = tok.p;
  b.logprob = lp.p;
  b.top_ids = tid.p;
  b.top_lp = tlp.p;
  cuda::sample(b, nullptr);
  auto got = tok.get();
  auto glp = lp.get();
  auto gids = tid.get();
  for (int r = 0; r < n; ++r) {
    CAPTURE(r);
    auto ref = cuda::sample_ref(logits.data() + (size_t)r * V, V, rows[r], pen_tok.data(), pen_val.data());
    CHECK(got[r] == ref.token);
    CHECK(glp[r] == doctest::Approx(ref.logprob).epsilon(1e-4));
    for (int j = 0; j < 3; ++j) CHECK(gids[(size_t)r * max_top + j] == ref.top_ids[j]);
  }
}

namespace {

std::vector<float> engine_logits(Engine& e, const std::vector<int32_t>& prompt, int steps, std::vector<int32_t>* greedy) {
  const int V = e.config().vocab_size;
  std::vector<int32_t> slots;
  e.kv_pool().alloc((int32_t)prompt.size() + steps, slots);
  std::vector<float> all, l;
  std::vector<int32_t> toks = prompt;
  SeqInput s;
  s.tokens = toks;
  s.pos = 0;
  s.slots = slots;
  e.forward(std::span<const SeqInput>(&s, 1), l);
  for (int i = 0; i < steps; ++i) {
    all.insert(all.end(), l.begin(), l.end());
    int32_t best = (int32_t)(std::max_element(l.begin(), l.end()) - l.begin());
    greedy->push_back(best);
    toks.push_back(best);
    s.tokens = std::span<const int32_t>(&toks.back(), 1);
    s.pos = (int)toks.size() - 1;
    e.forward(std::span<const SeqInput>(&s, 1), l);
  }
  (void)V;
  e.kv_pool().release(slots);
  return all;
}

}  // namespace

TEST_CASE("CUDA engine vs CPU engine: logits and greedy tokens (random models; stories260K when present)") {
  if (!have_gpu()) return;
  std::vector<std::pair<std::string, std::shared_ptr<const Model>>> models;
  {
    ModelConfig c = random_model_config("stories260K");
    models.push_back({"random llama", make_random_model(c, DType::BF16, 3)});
    c.qkv_bias = true;
    c.rope_interleaved = false;
    c.tied_embeddings = false;
    models.push_back({"random qwen2-like", make_random_model(c, DType::BF16, 4)});
  }
  if (test::have_model("stories260K/stories260K.bin"))
    models.push_back({"stories260K", load_model(test::model_path("stories260K/stories260K.bin"))});
  for (auto& [name, m] : models) {
    CAPTURE(name);
    std::string err;
    CudaEngineOptions o;
    o.kv_slots = 1024;
    auto gpu = make_cuda_engine(m, o, &err);
    REQUIRE_MESSAGE(gpu, err);
    CpuEngineOptions co;
    co.kv_slots = 1024;
    auto cpu = make_cpu_engine(m, co);
    std::vector<int32_t> prompt = {1, 10, 20, 30, 40};
    std::vector<int32_t> g_gpu, g_cpu;
    auto lg = engine_logits(*gpu, prompt, 40, &g_gpu);
    auto lc = engine_logits(*cpu, prompt, 40, &g_cpu);
    check_f32(lg, lc, 5e-2f);
    if (name == "stories260K") CHECK(g_gpu == g_cpu);  // trained model: clear argmax margins
  }
}

TEST_CASE("CUDA engine: batched decode through graphs equals one at a time") {
  if (!have_gpu()) return;
  std::shared_ptr<const Model> m = make_random_model(random_model_config("stories260K"), DType::BF16, 5);
  std::string err;
  CudaEngineOptions o;
  o.kv_slots = 4096;
  auto e = make_cuda_engine(m, o, &err);
  REQUIRE_MESSAGE(e, err);
  const int B = 5, V = m->config.vocab_size;  // pads to the 8-graph
  std::vector<std::vector<int32_t>> slots(B), toks(B);
  std::vector<SeqInput> in(B);
  std::vector<float> l;
  for (int b = 0; b < B; ++b) {
    e->kv_pool().alloc(20, slots[b]);
    toks[b] = {1, 2 + b, 3 * b + 1};
    in[b].tokens = toks[b];
    in[b].slots = slots[b];
  }
  e->forward(in, l);  // mixed prefill (eager)
  std::vector<float> batched, single;
  for (int step = 0; step < 3; ++step) {
    for (int b = 0; b < B; ++b) {
      toks[b].push_back((int32_t)((b * 31 + step * 7) % V));
      in[b].tokens = std::span<const int32_t>(&toks[b].back(), 1);
      in[b].pos = (int)toks[b].size() - 1;
    }
    e->forward(in, l);
    batched.insert(batched.end(), l.begin(), l.end());
    for (int b = 0; b < B; ++b) {  // again one sequence at a time (the 1-graph): same K/V slots
      e->forward(std::span<const SeqInput>(&in[b], 1), l);
      single.insert(single.end(), l.begin(), l.end());
    }
  }
  check_f32(batched, single, 1e-2f);
}
