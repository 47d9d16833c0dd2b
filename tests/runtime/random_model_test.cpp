// Random-weights models and their GGUF/HF writers; SIMD kernels against the portable ones.
#include "random_model.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cpu_engine.h"
#include "cpu_kernels.h"
#include "model_loader.h"

using namespace sgl;

namespace {

std::vector<float> last_logits(std::shared_ptr<const Model> m, const std::vector<int32_t>& toks) {
  auto e = make_cpu_engine(m, {2, 128});
  std::vector<int32_t> slots;
  e->kv_pool().alloc((int32_t)toks.size(), slots);
  std::vector<float> lg;
  SeqInput s{toks, 0, slots, false};
  e->forward(std::span<const SeqInput>(&s, 1), lg);
  return lg;
}

std::string tmpdir() {
  auto d = std::filesystem::temp_directory_path() / ("sgl_rand_" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d.string();
}

ModelConfig tiny() {
  ModelConfig c = random_model_config("stories260K");
  c.dim = 64; c.hidden_dim = 192; c.n_layers = 2; c.vocab_size = 320;
  return c;
}

}  // namespace

TEST_CASE("random model written as GGUF reloads with identical logits, every dtype") {
  std::string dir = tmpdir();
  ModelConfig c = tiny();
  std::vector<int32_t> toks = {1, 70, 300, 5, 9, 260, 33};
  for (DType dt : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0}) {
    CAPTURE(std::string(dtype_name(dt)));
    std::string p = dir + "/m_" + dtype_name(dt) + ".gguf";
    write_random_gguf(c, dt, 7, p);
    auto a = last_logits(std::shared_ptr<Model>(make_random_model(c, dt, 7)), toks);
    auto b = last_logits(std::shared_ptr<Model>(load_model(p)), toks);
    REQUIRE(a.size() == b.size());
    float md = 0;
    for (size_t i = 0; i < a.size(); ++i) md = std::max(md, std::fabs(a[i] - b[i]));
    CHECK(md == 0.0f);
    // Quantised weights stay close to the f32 model's answer.
    auto f = last_logits(std::shared_ptr<Model>(make_random_model(c, DType::F32, 7)), toks);
    float d = 0, n = 0;
    for (size_t i = 0; i < a.size(); ++i) { d += (a[i] - f[i]) * (a[i] - f[i]); n += f[i] * f[i]; }
    CHECK(std::sqrt(d / n) < (dt == DType::Q4_0 ? 0.25f : 0.05f));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("random model written as a Hugging Face folder loads, and q8_0 HF is refused") {
  std::string dir = tmpdir();
  ModelConfig c = tiny();
  write_random_hf(c, DType::BF16, 3, dir + "/hf");
  auto m = load_model(dir + "/hf");
  CHECK(m->format == "hf");
  CHECK(m->main_dtype() == DType::BF16);
  CHECK(m->config.dim == 64);
  CHECK_THROWS_WITH_AS(write_random_hf(c, DType::Q8_0, 3, dir + "/hf2"),
                       doctest::Contains("hold f32, f16 or bf16 weights, not q8_0"), ModelError);
  CHECK_THROWS_WITH_AS(random_model_config("gpt-9"), doctest::Contains("gpt-9: unknown model shape"), ModelError);
  std::filesystem::remove_all(dir);
}

TEST_CASE("SIMD kernels agree with the portable kernels on every dtype and tile shape") {
  const auto& best = cpu::kernels();
  const auto& ref = cpu::kernels_generic();
  MESSAGE("kernels in use: " << best.isa);
  for (DType dt : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0}) {
    for (int64_t K : {64, 96, 172, 288})
    for (int N : {1, 3, 37}) {  // decode GEMV, small-batch tiles, and 3 packed groups (last partial)
      if ((dt == DType::Q8_0 || dt == DType::Q4_0) && K % 32) continue;
      CAPTURE(std::string(dtype_name(dt)));
      CAPTURE(K);
      CAPTURE(N);
      const int64_t R = 13;
      std::vector<float> wf(R * K), x(N * K);
      for (size_t i = 0; i < wf.size(); ++i) wf[i] = std::sin((float)i * 0.37f);
      for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos((float)i * 0.11f);
      std::vector<uint8_t> wb(row_bytes(dt, K) * R);
      for (int64_t r = 0; r < R; ++r) quantize_row(dt, wf.data() + r * K, wb.data() + r * row_bytes(dt, K), K);
      Matrix w = make_matrix("t", "w", dt, R, K, wb.data(), wb.size());
      std::vector<int8_t> q(N * K);
      std::vector<float> qd(N * K / 32 + 1);
      std::vector<int32_t> qs(N * K / 32 + 1);
      std::vector<uint16_t> bf(N * K);
      for (int t = 0; t < N; ++t) {
        if (K % 32 == 0) ref.quantize_row_q8(x.data() + t * K, K, q.data() + t * K, qd.data() + t * (K / 32), qs.data() + t * (K / 32));
        ref.row_to_bf16(x.data() + t * K, K, bf.data() + t * K);
      }
      cpu::Acts a;
      a.x = x.data(); a.ldx = K; a.n = N; a.cols = K; a.q = q.data(); a.qd = qd.data(); a.qs = qs.data(); a.bf = bf.data();
      std::vector<float> y1(N * R), y2(N * R), y3(N * R);
      ref.matmul(w, a, y1.data(), R, 0, R);
      best.matmul(w, a, y2.data(), R, 0, R);
      // The prefill GEMM path (packed activations, 16 tokens per lane group).
      cpu::PackedActs pk;
      cpu::pack_acts(dt, a, pk);
      cpu::Acts ap = a;
      ap.packed = &pk;
      if (best.packed_dtypes >> (int)dt & 1u) best.matmul(w, ap, y3.data(), R, 0, R);
      else y3 = y2;
      // The portable table's packed path (vector extensions) for the types it supports.
      std::vector<float> y4(N * R);
      if (ref.packed_dtypes >> (int)dt & 1u) {
        ref.matmul(w, ap, y4.data(), R, 0, R);
        for (size_t i = 0; i < y1.size(); ++i) CHECK(std::fabs(y1[i] - y4[i]) <= 1e-3f + 1e-4f * std::fabs(y1[i]));
      }
      if (const cpu::KernelTable* a2 = cpu::kernels_avx2()) {
        std::vector<float> y5(N * R);
        a2->matmul(w, (a2->packed_dtypes >> (int)dt & 1u) ? ap : a, y5.data(), R, 0, R);
        for (size_t i = 0; i < y1.size(); ++i) CHECK(std::fabs(y1[i] - y5[i]) <= 1e-3f + 1e-4f * std::fabs(y1[i]));
      }
      for (size_t i = 0; i < y1.size(); ++i) {
        // bf16 kernels round activations to bf16; the portable path multiplies them in f32.
        float tol = dt == DType::BF16 ? 0.05f + 0.01f * std::fabs(y1[i]) : 1e-3f + 1e-4f * std::fabs(y1[i]);
        CHECK(std::fabs(y1[i] - y2[i]) <= tol);
        CHECK(std::fabs(y1[i] - y3[i]) <= tol);
      }
    }
  }
}

TEST_CASE("int8 prefill GEMM (weights unpacked per chunk of 8-row tiles) agrees with the portable kernels") {
  // Enough rows for several 8-row tiles per chunk plus 4-row and 1-row tails, row ranges that
  // start and end mid-tile (as the engine's threads do), full and partial 16-token groups.
  const auto& best = cpu::kernels();
  const auto& ref = cpu::kernels_generic();
  for (DType dt : {DType::Q8_0, DType::Q4_0})
  for (int64_t K : {64, 288, 768})
  for (int N : {16, 37, 128}) {
    CAPTURE(std::string(dtype_name(dt)));
    CAPTURE(K);
    CAPTURE(N);
    const int64_t R = 157;
    std::vector<float> wf(R * K), x(N * K);
    for (size_t i = 0; i < wf.size(); ++i) wf[i] = std::sin((float)i * 0.37f) * (1.0f + (float)(i % 7));
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos((float)i * 0.11f) * (1.0f + (float)(i % 5));
    std::vector<uint8_t> wb(row_bytes(dt, K) * R);
    for (int64_t r = 0; r < R; ++r) quantize_row(dt, wf.data() + r * K, wb.data() + r * row_bytes(dt, K), K);
    Matrix w = make_matrix("t", "w", dt, R, K, wb.data(), wb.size());
    std::vector<int8_t> q(N * K);
    std::vector<float> qd(N * K / 32);
    std::vector<int32_t> qs(N * K / 32);
    for (int t = 0; t < N; ++t)
      ref.quantize_row_q8(x.data() + t * K, K, q.data() + t * K, qd.data() + t * (K / 32), qs.data() + t * (K / 32));
    cpu::Acts a;
    a.x = x.data(); a.ldx = K; a.n = N; a.cols = K; a.q = q.data(); a.qd = qd.data(); a.qs = qs.data();
    std::vector<float> y1(N * R), y2(N * R, NAN);
    ref.matmul(w, a, y1.data(), R, 0, R);
    cpu::PackedActs pk;
    cpu::pack_acts(dt, a, pk);
    cpu::Acts ap = a;
    ap.packed = &pk;
    if (!(best.packed_dtypes >> (int)dt & 1u)) ap.packed = nullptr;
    const int64_t cuts[] = {0, 3, 45, 100, 151, R};
    for (size_t c = 0; c + 1 < std::size(cuts); ++c) best.matmul(w, ap, y2.data(), R, cuts[c], cuts[c + 1]);
    for (size_t i = 0; i < y1.size(); ++i) CHECK(std::fabs(y1[i] - y2[i]) <= 1e-3f + 1e-4f * std::fabs(y1[i]));
  }
}

TEST_CASE("bf16 packing straight from f32 rows equals packing pre-converted rows; F32 packing is a transpose (SIMD and portable)") {
  // The engine packs BF16 prefill activations without a.bf (converting each row on the way, in
  // the 16-token group passes it runs in parallel); the packed bytes must be the ones the
  // two-step path (row_to_bf16, then pack) writes, with zero lanes past the last token.
  const auto& best = cpu::kernels();
  for (int64_t K : {64, 172, 288, 768})
  for (int N : {8, 16, 37}) {
    CAPTURE(K);
    CAPTURE(N);
    const int64_t ldx = K + 5;
    std::vector<float> x(N * ldx);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos((float)i * 0.11f) * (1.0f + (float)(i % 5));
    std::vector<uint16_t> bf(N * K);
    for (int t = 0; t < N; ++t) best.row_to_bf16(x.data() + t * ldx, K, bf.data() + t * K);
    cpu::Acts a;
    a.x = x.data(); a.ldx = ldx; a.n = N; a.cols = K; a.bf = bf.data();
    cpu::PackedActs two, one, f;
    // Stale contents must not survive (the engine reuses these buffers).
    one.xb.assign((size_t)((N + 15) / 16) * K * 16, 0xabcd);
    f.xt.assign((size_t)((N + 15) / 16) * K * 16, 7.0f);
    cpu::pack_acts(DType::BF16, a, two);
    cpu::Acts direct = a;
    direct.bf = nullptr;
    cpu::pack_acts_prepare(DType::BF16, direct, one);
    for (int t0 = 0; t0 < N; t0 += 16) cpu::pack_acts_range(DType::BF16, direct, one, t0, std::min(N, t0 + 16));
    CHECK(one.groups == two.groups);
    CHECK(one.xb == two.xb);
    // The SIMD packing (where the table has one) against the portable code, same input.
    cpu::PackedActs port;
    cpu::pack_acts_prepare(DType::BF16, direct, port);
    for (int t0 = 0; t0 < N; t0 += 16) cpu::pack_acts_range_portable(DType::BF16, direct, port, t0, std::min(N, t0 + 16));
    CHECK(port.xb == one.xb);
    cpu::pack_acts(DType::F32, a, f);
    bool ok = true;
    for (int g = 0; g < (N + 15) / 16; ++g)
      for (int64_t k = 0; k < K; ++k)
        for (int l = 0; l < 16; ++l) {
          const int t = g * 16 + l;
          const float want = t < N ? x[t * ldx + k] : 0.0f;
          ok = ok && f.xt[((size_t)g * K + k) * 16 + l] == want;
          const uint16_t wb = t < N ? bf[t * K + k] : 0;
          ok = ok && one.xb[((size_t)g * K + (k & ~int64_t{1})) * 16 + l * 2 + (k & 1)] == wb;
        }
    CHECK(ok);
  }
}

TEST_CASE("prefill on packed activations: reused buffers leave no trace; agrees with short unpacked chunks") {
  // The engine keeps its activation buffers between matmuls and forwards, so a 20-token prefill
  // after a 40-token one (stale data past the last 16-token group) must match a fresh engine's bit
  // for bit; and a 37-token prefill (quantised and packed per group, last group partial) must
  // match the same tokens fed in chunks of 5 (unpacked kernels) up to float summation order.
  ModelConfig c = tiny();
  std::vector<int32_t> a_toks, b_toks;
  for (int i = 0; i < 40; ++i) a_toks.push_back((i * 53 + 7) % 320);
  for (int i = 0; i < 37; ++i) b_toks.push_back((i * 31 + 3) % 320);
  for (DType dt : {DType::F32, DType::BF16, DType::Q8_0, DType::Q4_0}) {
    CAPTURE(std::string(dtype_name(dt)));
    auto m = std::shared_ptr<Model>(make_random_model(c, dt, 11));
    auto run = [&](Engine& e, std::span<const int32_t> toks, int chunk) {
      std::vector<int32_t> slots;
      REQUIRE(e.kv_pool().alloc((int32_t)toks.size(), slots));
      std::vector<float> lg;
      for (size_t p = 0; p < toks.size(); p += chunk) {
        size_t n = std::min<size_t>(chunk, toks.size() - p);
        SeqInput s{toks.subspan(p, n), (int32_t)p, slots, false};
        e.forward(std::span<const SeqInput>(&s, 1), lg);
      }
      return lg;
    };
    auto e1 = make_cpu_engine(m, {2, 256});
    run(*e1, a_toks, 40);
    auto after = run(*e1, std::span<const int32_t>(b_toks).first(20), 20);
    auto e2 = make_cpu_engine(m, {2, 256});
    auto fresh = run(*e2, std::span<const int32_t>(b_toks).first(20), 20);
    CHECK(after == fresh);
    auto e3 = make_cpu_engine(m, {2, 256});
    auto packed = run(*e3, b_toks, 37);
    auto e4 = make_cpu_engine(m, {2, 256});
    auto chunked = run(*e4, b_toks, 5);
    REQUIRE(packed.size() == chunked.size());
    float md = 0, mx = 0;
    for (size_t i = 0; i < packed.size(); ++i) {
      md = std::max(md, std::fabs(packed[i] - chunked[i]));
      mx = std::max(mx, std::fabs(chunked[i]));
    }
    // bf16 packed prefill rounds like the unpacked bf16 kernels; the others differ in order only.
    CHECK(md <= (dt == DType::BF16 ? 2e-2f : 1e-3f) * mx + 1e-4f);
  }
}

TEST_CASE("HF (rotate-half) and GGUF (interleaved) copies of a random GQA model agree; Qwen2 with QKV bias too") {
  std::string dir = tmpdir();
  std::vector<int32_t> toks = {1, 70, 300, 5, 9, 260, 33, 100, 7};
  ModelConfig llama = tiny();  // 8 query heads, 4 key/value heads
  // Qwen2-style: QKV bias, rotate-half RoPE in both formats, untied output.
  std::string qcfg = dir + "/qwen2.json";
  std::ofstream(qcfg) << R"({"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 320, "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6, "tie_word_embeddings": false})";
  ModelConfig qwen = random_model_config(qcfg);
  CHECK(qwen.qkv_bias);
  // Llama 3.1-style RoPE scaling: HF config rope_scaling vs GGUF rope_freqs.weight divisors.
  std::string lcfg = dir + "/llama3.json";
  std::ofstream(lcfg) << R"({"model_type": "llama", "hidden_size": 128, "intermediate_size": 128, "num_hidden_layers": 1,
    "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 300, "rope_theta": 500000.0,
    "tie_word_embeddings": true, "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
    "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}})";
  ModelConfig l3 = random_model_config(lcfg);
  CHECK(l3.rope_factor == 32.0f);
  for (const ModelConfig& c : {llama, qwen, l3}) {
    CAPTURE(c.arch);
    write_random_gguf(c, DType::F32, 5, dir + "/m.gguf");
    std::string hf = dir + "/hf_" + c.arch + std::to_string(c.dim);
    write_random_hf(c, DType::F32, 5, hf);
    std::vector<int32_t> long_toks;  // far enough for the scaled low frequencies to matter
    for (int i = 0; i < 60; ++i) long_toks.push_back((i * 37 + 11) % 290);
    if (c.rope_factor > 0) toks = long_toks;
    auto g = last_logits(std::shared_ptr<Model>(load_model(dir + "/m.gguf")), toks);
    auto h = last_logits(std::shared_ptr<Model>(load_model(hf)), toks);
    auto r = last_logits(std::shared_ptr<Model>(make_random_model(c, DType::F32, 5)), toks);
    float md = 0, mr = 0;
    for (size_t i = 0; i < g.size(); ++i) {
      md = std::max(md, std::fabs(g[i] - h[i]));
      mr = std::max(mr, std::fabs(g[i] - r[i]));
    }
    CHECK(md < 1e-5f);
    CHECK(mr == 0.0f);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("RMSNorm (with residual add) and RoPE kernels are bit-identical to the engine's former scalar code") {
  // The engine calls these per token from the selected table; they must give exactly what its own
  // loops gave (greedy outputs are compared with llama2.c bit for bit), in every table.
  std::vector<const cpu::KernelTable*> tables = {&cpu::kernels_generic()};
  if (cpu::kernels_avx2()) tables.push_back(cpu::kernels_avx2());
  if (cpu::kernels_avx512()) tables.push_back(cpu::kernels_avx512());
  const auto& ref = cpu::kernels_generic();
  for (int n : {8, 37, 288, 290}) {
    CAPTURE(n);
    std::vector<float> x(n), add(n), w(n);
    for (int i = 0; i < n; ++i) {
      x[i] = std::sin(0.37f * (float)i) * 3.0f;
      add[i] = std::cos(0.21f * (float)i);
      w[i] = 1.0f + 0.01f * (float)i;
    }
    for (bool with_add : {false, true}) {
      std::vector<float> xr = x;
      if (with_add)
        for (int i = 0; i < n; ++i) xr[i] += add[i];
      for (const cpu::KernelTable* t : tables) {
        CAPTURE(t->isa);
        CAPTURE(with_add);
        // Exactly the engine's former code, with this table's dot product.
        float ss = 1.0f / std::sqrt(t->dot(xr.data(), xr.data(), n) / n + 1e-5f);
        std::vector<float> outr(n);
        for (int i = 0; i < n; ++i) outr[i] = w[i] * (ss * xr[i]);
        std::vector<float> xt = x, outt(n);
        t->add_rmsnorm(outt.data(), xt.data(), with_add ? add.data() : nullptr, w.data(), n, 1e-5f);
        CHECK(xt == xr);
        CHECK(outt == outr);
      }
    }
  }
  for (int hd : {8, 48, 64, 130})
  for (bool inter : {false, true}) {
    CAPTURE(hd);
    CAPTURE(inter);
    const int nh = 3, half = hd / 2;
    std::vector<float> v(nh * hd), cs(half), sn(half);
    for (int i = 0; i < nh * hd; ++i) v[i] = std::sin(0.13f * (float)i) * 2.0f;
    for (int i = 0; i < half; ++i) {
      cs[i] = std::cos(0.3f * (float)i + 0.1f);
      sn[i] = std::sin(0.3f * (float)i + 0.1f);
    }
    std::vector<float> vr = v;
    ref.rope(vr.data(), nh, hd, cs.data(), sn.data(), inter);
    // The portable table against the formula itself.
    for (int h = 0; h < nh; ++h)
      for (int i = 0; i < half; ++i) {
        const float* src = v.data() + h * hd;
        float a = inter ? src[2 * i] : src[i], b = inter ? src[2 * i + 1] : src[i + half];
        CHECK(vr[h * hd + 2 * i] == a * cs[i] - b * sn[i]);
        CHECK(vr[h * hd + 2 * i + 1] == a * sn[i] + b * cs[i]);
      }
    for (const cpu::KernelTable* t : tables) {
      CAPTURE(t->isa);
      std::vector<float> vt = v;
      t->rope(vt.data(), nh, hd, cs.data(), sn.data(), inter);
      CHECK(vt == vr);
    }
  }
}

TEST_CASE("attention with queries in lanes matches per-query attention (causal mask, odd head sizes)") {
  const auto& best = cpu::kernels();
  if (!best.attend16) {
    MESSAGE("SKIPPED: this CPU's kernel table has no attend16");
    return;
  }
  for (int hd : {8, 48, 64, 72}) {
    for (int pos0 : {0, 5, 40}) {
      for (int nq : {4, 13, 16}) {
        CAPTURE(hd);
        CAPTURE(pos0);
        CAPTURE(nq);
        const int n = pos0 + nq, off = hd;  // second kv head
        std::vector<float> kv((size_t)n * 2 * hd * 2), q((size_t)nq * 3 * hd), o1((size_t)nq * 3 * hd),
            o2((size_t)nq * 3 * hd), scratch((size_t)(n + hd) * 16), sc(n);
        for (size_t i = 0; i < kv.size(); ++i) kv[i] = std::sin(0.7f * (float)i);
        for (size_t i = 0; i < q.size(); ++i) q[i] = std::cos(0.3f * (float)i);
        std::vector<const float*> k(n), v(n);
        for (int p = 0; p < n; ++p) {
          k[p] = kv.data() + (size_t)p * 4 * hd;
          v[p] = k[p] + 2 * hd;
        }
        const float scale = 1.0f / std::sqrt((float)hd);
        best.attend16(q.data(), 3 * hd, nq, pos0, k.data(), v.data(), off, hd, scale, o1.data(), 3 * hd, scratch.data());
        for (int l = 0; l < nq; ++l)
          best.attend(q.data() + (size_t)l * 3 * hd, k.data(), v.data(), off, pos0 + l + 1, hd, scale,
                      o2.data() + (size_t)l * 3 * hd, sc.data());
        float md = 0;
        for (int l = 0; l < nq; ++l)
          for (int d = 0; d < hd; ++d) md = std::max(md, std::fabs(o1[(size_t)l * 3 * hd + d] - o2[(size_t)l * 3 * hd + d]));
        CHECK(md < 1e-5f);
      }
    }
  }
}

TEST_CASE("SIMD activation quantisation and bf16 conversion are bit-identical to the portable ones") {
  const auto& best = cpu::kernels();
  const auto& ref = cpu::kernels_generic();
  const int64_t n = 288;
  std::vector<float> x(n);
  for (int64_t i = 0; i < n; ++i) x[i] = std::sin(0.37f * (float)i) * (i % 7 == 0 ? 30.0f : 1.0f);
  x[40] = 0;  // an all-but-zero block edge case is covered by the zero block below
  for (int64_t i = 64; i < 96; ++i) x[i] = 0;
  std::vector<int8_t> q1(n), q2(n);
  std::vector<float> d1(n / 32), d2(n / 32);
  std::vector<int32_t> s1(n / 32), s2(n / 32);
  ref.quantize_row_q8(x.data(), n, q1.data(), d1.data(), s1.data());
  best.quantize_row_q8(x.data(), n, q2.data(), d2.data(), s2.data());
  CHECK(q1 == q2);
  CHECK(d1 == d2);
  CHECK(s1 == s2);
  std::vector<uint16_t> b1(n), b2(n);
  ref.row_to_bf16(x.data(), n, b1.data());
  best.row_to_bf16(x.data(), n, b2.data());
  CHECK(b1 == b2);
}

TEST_CASE("weights in owned buffers move to one huge-page arena; SGL_NO_HUGE_PAGES=1 leaves them") {
  for (DType dt : {DType::F32, DType::Q4_0}) {
    CAPTURE(std::string(dtype_name(dt)));
    ::setenv("SGL_NO_HUGE_PAGES", "1", 1);
    std::shared_ptr<const Model> kept = make_random_model(tiny(), dt);
    ::unsetenv("SGL_NO_HUGE_PAGES");
    std::shared_ptr<const Model> moved = make_random_model(tiny(), dt);
    // Moved: every matrix 64-byte aligned inside one region no larger than the weights (+ 2 MiB
    // and alignment), its source buffer freed; kept: the matrices point into owned_bytes.
    std::vector<const Matrix*> ms = {&moved->tok_embd};
    for (const LayerWeights& l : moved->layers)
      for (const Matrix* x : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_down, &l.w_up}) ms.push_back(x);
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (const Matrix* x : ms) {
      const auto p = reinterpret_cast<uintptr_t>(x->data);
      CHECK(p % 64 == 0);
      lo = std::min(lo, p);
      hi = std::max(hi, p + x->row_stride * static_cast<size_t>(x->rows));
    }
    CHECK(lo % (size_t{2} << 20) == 0);  // the arena starts on a huge-page boundary
    CHECK(hi - lo <= moved->weight_bytes() + 64 * ms.size());
    CHECK(moved->output.data == moved->tok_embd.data);  // still tied
    for (const auto& b : moved->owned_bytes) CHECK(b.empty());
    size_t kept_bytes = 0;
    for (const auto& b : kept->owned_bytes) kept_bytes += b.size();
    CHECK(kept_bytes == kept->weight_bytes());
    // Same bytes, same results.
    const std::vector<int32_t> toks = {1, 17, 42, 99, 5};
    CHECK(last_logits(moved, toks) == last_logits(kept, toks));
  }
}

TEST_CASE("a GGUF file's matrices are copied to the arena (file pages dropped); results unchanged") {
  const std::string dir = tmpdir();
  const std::string path = dir + "/arena.gguf";
  write_random_gguf(tiny(), DType::Q8_0, 11, path);
  ::setenv("SGL_NO_HUGE_PAGES", "1", 1);
  std::shared_ptr<const Model> mapped(load_model(path));
  ::unsetenv("SGL_NO_HUGE_PAGES");
  std::shared_ptr<const Model> moved(load_model(path));
  CHECK(reinterpret_cast<uintptr_t>(moved->tok_embd.data) % (size_t{2} << 20) == 0);  // the arena's start
  CHECK(moved->layers[0].wq.data != mapped->layers[0].wq.data);
  for (size_t l = 0; l < moved->layers.size(); ++l) {
    const Matrix& a = moved->layers[l].w_down;
    const Matrix& b = mapped->layers[l].w_down;
    CHECK(std::memcmp(a.data, b.data, a.row_stride * static_cast<size_t>(a.rows)) == 0);
  }
  const std::vector<int32_t> toks = {1, 7, 300, 12};
  CHECK(last_logits(moved, toks) == last_logits(mapped, toks));
  std::filesystem::remove_all(dir);
}

TEST_CASE("last layer keeps only the rows that want logits: mixed batch agrees with each sequence on its own") {
  // The engine drops, after the last layer's K/V store, every row that wants no logits; a batch
  // of last-token-only and all-logits sequences must give the rows each sequence gives alone with
  // all its logits (no row dropped), and the K/V written for the dropped rows must be complete
  // (a decode step after the prefill agrees too).
  ModelConfig c = tiny();
  std::vector<std::vector<int32_t>> toks(3);
  const int lens[3] = {23, 18, 30};
  const bool all[3] = {false, true, false};
  for (int s = 0; s < 3; ++s)
    for (int i = 0; i < lens[s]; ++i) toks[s].push_back((i * 37 + 11 * s + 5) % 320);
  for (DType dt : {DType::F32, DType::BF16, DType::Q8_0, DType::Q4_0}) {
    CAPTURE(std::string(dtype_name(dt)));
    auto m = std::shared_ptr<Model>(make_random_model(c, dt, 17));
    auto e = make_cpu_engine(m, {2, 256});
    std::vector<std::vector<int32_t>> slots(3);
    std::vector<SeqInput> batch;
    for (int s = 0; s < 3; ++s) {
      REQUIRE(e->kv_pool().alloc(lens[s] + 1, slots[s]));
      batch.push_back(SeqInput{toks[s], 0, slots[s], all[s]});
    }
    std::vector<float> lg, dec;
    e->forward(batch, lg);
    REQUIRE(lg.size() == (size_t)(1 + 18 + 1) * c.vocab_size);
    // One decode step of every sequence reads the K/V of all prompt rows.
    std::vector<int32_t> next = {7, 8, 9};
    std::vector<SeqInput> step;
    for (int s = 0; s < 3; ++s) step.push_back(SeqInput{std::span<const int32_t>(&next[s], 1), lens[s], slots[s], false});
    e->forward(step, dec);
    size_t row = 0;
    for (int s = 0; s < 3; ++s) {
      CAPTURE(s);
      auto e1 = make_cpu_engine(m, {2, 256});
      std::vector<int32_t> sl;
      REQUIRE(e1->kv_pool().alloc(lens[s] + 1, sl));
      std::vector<float> ref, ref_dec;
      SeqInput one{toks[s], 0, sl, true};
      e1->forward(std::span<const SeqInput>(&one, 1), ref);
      SeqInput one_dec{std::span<const int32_t>(&next[s], 1), lens[s], sl, false};
      e1->forward(std::span<const SeqInput>(&one_dec, 1), ref_dec);
      const int nrows = all[s] ? lens[s] : 1;
      const size_t first = all[s] ? 0 : (size_t)(lens[s] - 1);
      float md = 0, mx = 0;
      for (int r = 0; r < nrows; ++r)
        for (int i = 0; i < c.vocab_size; ++i) {
          float a = lg[(row + r) * c.vocab_size + i], b = ref[(first + r) * c.vocab_size + i];
          md = std::max(md, std::fabs(a - b));
          mx = std::max(mx, std::fabs(b));
        }
      for (int i = 0; i < c.vocab_size; ++i) {
        float a = dec[(size_t)s * c.vocab_size + i], b = ref_dec[i];
        md = std::max(md, std::fabs(a - b));
        mx = std::max(mx, std::fabs(b));
      }
      // BF16, Q8_0 and Q4_0 round the activations (to bf16, to int8 blocks): the batch and the
      // single run sum in different orders, and one rounding that goes the other way changes the
      // following layers by the rounding noise itself (about 1e-2; llama.cpp differs from us, and
      // from itself across CPU variants, the same way; see tests/llama_cpp_external).
      CHECK(md <= (dt == DType::F32 ? 1e-3f : 2e-2f) * mx + 1e-4f);
      row += nrows;
    }
  }
}
