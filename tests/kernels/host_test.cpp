// Host-side tests of the CUDA engine's pieces that need no GPU: decode graph padding, batch
// planning (launch data, slots, validation), KV sizing, --device selection, make_cuda_engine's
// no-GPU answer, the in-process communicator, tensor-parallel sharding math against the
// unsharded CPU engine, and the sampling reference against the CPU Sampler's distribution.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <thread>

#include "communicator.h"
#include "cuda_batch_plan.h"
#include "cuda_engine.h"
#include "device_select.h"
#include "dtype.h"
#include "random_model.h"
#include "sampler.h"
#include "sampling.cuh"
#include "tensor_parallel.h"

using namespace sgl;

TEST_CASE("decode graph sizes and padding") {
  auto s = decode_graph_sizes();
  CHECK(s == std::vector<int>{1, 2, 4, 8, 16, 32, 64, 128, 256});
  CHECK(decode_graph_sizes(48) == std::vector<int>{1, 2, 4, 8, 16, 32, 48});
  CHECK(decode_graph_size(1) == 1);
  CHECK(decode_graph_size(3) == 4);
  CHECK(decode_graph_size(5) == 8);
  CHECK(decode_graph_size(129) == 256);
  CHECK(decode_graph_size(256) == 256);
  CHECK(decode_graph_size(257) == 0);
  CHECK(decode_graph_size(0) == 0);
  CHECK(decode_graph_size(40, 48) == 48);
}

TEST_CASE("batch planning flattens tokens, slots and logits rows") {
  std::vector<int32_t> t0 = {5, 6, 7}, s0 = {10, 11, 12, 13, 14};  // 2 cached + 3 new
  std::vector<int32_t> t1 = {9}, s1 = {20, 21, 22, 23};            // decode at pos 3
  std::vector<SeqInput> b(2);
  b[0].tokens = t0;
  b[0].pos = 2;
  b[0].slots = s0;
  b[0].all_logits = true;
  b[1].tokens = t1;
  b[1].pos = 3;
  b[1].slots = s1;
  BatchPlan p;
  plan_batch(b, 100, 64, 64, 0, p);
  CHECK(p.T == 4);
  CHECK(p.T_run == 4);
  CHECK(p.tokens == std::vector<int32_t>{5, 6, 7, 9});
  CHECK(p.pos == std::vector<int32_t>{2, 3, 4, 3});
  CHECK(p.slot == std::vector<int32_t>{12, 13, 14, 23});
  CHECK(p.seq_off == std::vector<int32_t>{0, 0, 0, 5});
  CHECK(p.slot_table == std::vector<int32_t>{10, 11, 12, 13, 14, 20, 21, 22, 23});
  CHECK(p.out_rows == std::vector<int32_t>{0, 1, 2, 3});
  CHECK(p.n_out == 4);
  CHECK(p.max_ctx == 5);
  CHECK_FALSE(is_decode_batch(b));

  b[0].all_logits = false;
  plan_batch(b, 100, 64, 64, 0, p);
  CHECK(p.out_rows == std::vector<int32_t>{2, 3});

  // Errors as the CPU engine.
  std::vector<int32_t> bad = {100};
  b[1].tokens = bad;
  CHECK_THROWS_AS(plan_batch(b, 100, 64, 64, 0, p), std::invalid_argument);
  b[1].tokens = t1;
  std::vector<int32_t> s_bad = {20, 21, 22, 64};
  b[1].slots = s_bad;
  CHECK_THROWS_AS(plan_batch(b, 100, 64, 64, 0, p), std::invalid_argument);
  b[1].slots = std::span<const int32_t>(s1.data(), 3);
  CHECK_THROWS_AS(plan_batch(b, 100, 64, 64, 0, p), std::invalid_argument);
}

TEST_CASE("decode batches pad to the graph size with the scratch slot") {
  std::vector<int32_t> t[3] = {{1}, {2}, {3}};
  std::vector<int32_t> s[3] = {{0}, {1, 2}, {3, 4, 5}};
  std::vector<SeqInput> b(3);
  for (int i = 0; i < 3; ++i) {
    b[i].tokens = t[i];
    b[i].pos = i;
    b[i].slots = s[i];
  }
  CHECK(is_decode_batch(b));
  BatchPlan p;
  plan_batch(b, 10, 32, 32, decode_graph_size(3), p);
  CHECK(p.T == 3);
  CHECK(p.T_run == 4);
  CHECK(p.n_out == 3);
  CHECK(p.n_out_run == 4);
  CHECK(p.tokens == std::vector<int32_t>{1, 2, 3, 0});
  CHECK(p.pos == std::vector<int32_t>{0, 1, 2, 0});
  CHECK(p.slot == std::vector<int32_t>{0, 2, 5, 32});
  CHECK(p.seq_off == std::vector<int32_t>{0, 1, 3, 6});
  CHECK(p.slot_table.size() == 7);
  CHECK(p.slot_table[6] == 32);
  CHECK(p.out_rows == std::vector<int32_t>{0, 1, 2, 3});
}

TEST_CASE("KV slots for a memory budget (bf16 K and V, every layer)") {
  ModelConfig c = random_model_config("llama-3.1-8b");
  // 32 layers * 2 * 8 heads * 128 * 2 bytes = 128 KiB per token.
  CHECK(cuda_kv_slots_for_bytes(c, int64_t{1} << 30) == 8192);
  CHECK(cuda_kv_slots_for_bytes(c, 1000) == 0);
  CHECK(cuda_kv_slots_for_bytes(c, int64_t{1} << 40, 1000) == 1000);
}

TEST_CASE("--device selection") {
  DeviceRequest r;
  CHECK(parse_device_request("auto", &r));
  CHECK(r == DeviceRequest::Auto);
  CHECK(parse_device_request("CPU", &r));
  CHECK(r == DeviceRequest::Cpu);
  CHECK(parse_device_request("cuda", &r));
  CHECK(r == DeviceRequest::Cuda);
  CHECK_FALSE(parse_device_request("tpu", &r));

  DeviceInfo none;  // no CUDA built in
  DeviceInfo nodrv;
  nodrv.cuda_built = true;
  DeviceInfo nogpu = nodrv;
  nogpu.cuda_driver_version = 13000;
  DeviceInfo gpu = nogpu;
  gpu.cuda_devices = 1;
  DeviceKind k;
  std::string err;
  CHECK(resolve_device(DeviceRequest::Auto, none, &k, &err));
  CHECK(k == DeviceKind::Cpu);
  CHECK(resolve_device(DeviceRequest::Auto, nogpu, &k, &err));
  CHECK(k == DeviceKind::Cpu);
  CHECK(resolve_device(DeviceRequest::Auto, gpu, &k, &err));
  CHECK(k == DeviceKind::Cuda);
  CHECK(resolve_device(DeviceRequest::Cpu, gpu, &k, &err));
  CHECK(k == DeviceKind::Cpu);
  CHECK(resolve_device(DeviceRequest::Cuda, gpu, &k, &err));
  CHECK(k == DeviceKind::Cuda);
  CHECK_FALSE(resolve_device(DeviceRequest::Cuda, none, &k, &err));
  CHECK(err.find("built without CUDA") != std::string::npos);
  CHECK_FALSE(resolve_device(DeviceRequest::Cuda, nodrv, &k, &err));
  CHECK(err.find("no NVIDIA driver") != std::string::npos);
  CHECK_FALSE(resolve_device(DeviceRequest::Cuda, nogpu, &k, &err));
  CHECK(err.find("no CUDA GPU") != std::string::npos);
  CHECK(std::string(device_kind_name(DeviceKind::Cuda)) == "cuda");
}

TEST_CASE("make_cuda_engine without a GPU returns null and says why") {
  DeviceInfo info = probe_devices();
  if (info.cuda_devices > 0) {
    MESSAGE("SKIPPED: a GPU is present (the gpu-labelled tests cover make_cuda_engine)");
    return;
  }
  std::shared_ptr<const Model> m = make_random_model(random_model_config("stories260K"), DType::F32);
  std::string err;
  auto e = make_cuda_engine(m, CudaEngineOptions{}, &err);
  CHECK(e == nullptr);
  CHECK(err.find("CUDA engine unavailable") != std::string::npos);
#ifdef SGL_HAVE_CUDA
  CHECK((err.find("no NVIDIA driver") != std::string::npos || err.find("no CUDA GPU") != std::string::npos));
#else
  CHECK(err.find("built without CUDA") != std::string::npos);
#endif
  MESSAGE("make_cuda_engine: " << err);
}

namespace {

template <class F>
void run_ranks(std::vector<std::unique_ptr<Communicator>>& comms, F&& f) {
  std::vector<std::thread> th;
  for (auto& c : comms) th.emplace_back([&f, &c] { f(*c); });
  for (auto& t : th) t.join();
}

}  // namespace

TEST_CASE("in-process communicator: all-reduce and all-gather") {
  for (int n : {1, 2, 3, 4}) {
    auto comms = make_in_process_group(n);
    std::vector<std::vector<float>> red(n), gat(n);
    std::vector<std::vector<uint16_t>> red16(n);
    run_ranks(comms, [&](Communicator& c) {
      const int r = c.rank();
      CHECK(c.size() == n);
      std::vector<float> buf(1000);
      for (int i = 0; i < 1000; ++i) buf[i] = (float)(r + 1) * 0.5f + (float)i;
      for (int rep = 0; rep < 3; ++rep) {  // repeated collectives reuse the staging safely
        std::vector<float> b = buf;
        c.all_reduce_sum(b.data(), b.size(), CommDType::F32);
        red[r] = b;
      }
      std::vector<uint16_t> h(16);
      for (int i = 0; i < 16; ++i) h[i] = f32_to_bf16((float)(r + i));
      c.all_reduce_sum(h.data(), h.size(), CommDType::BF16);
      red16[r] = h;
      std::vector<float> mine = {(float)r, (float)r * 10};
      std::vector<float> all(2 * n);
      c.all_gather(mine.data(), all.data(), 2, CommDType::F32);
      gat[r] = all;
    });
    const float rank_sum = 0.5f * (float)(n * (n + 1) / 2);
    for (int r = 0; r < n; ++r) {
      CHECK(red[r] == red[0]);  // identical bits on every rank
      CHECK(red[r][7] == doctest::Approx(rank_sum + 7.0f * (float)n));
      CHECK(bf16_to_f32(red16[r][3]) == doctest::Approx((float)(n * (n - 1) / 2 + 3 * n)));
      for (int q = 0; q < n; ++q) {
        CHECK(gat[r][2 * q] == (float)q);
        CHECK(gat[r][2 * q + 1] == (float)q * 10);
      }
    }
  }
}

TEST_CASE("tensor-parallel shard ranges") {
  CHECK(tp_range(10, 0, 3) == std::pair<int64_t, int64_t>{0, 4});
  CHECK(tp_range(10, 1, 3) == std::pair<int64_t, int64_t>{4, 7});
  CHECK(tp_range(10, 2, 3) == std::pair<int64_t, int64_t>{7, 10});
  ModelConfig c = random_model_config("llama-3.1-8b");
  TpShard s = tp_shard(c, 1, 4);
  CHECK(s.n_q_heads == 8);
  CHECK(s.q_head_begin == 8);
  CHECK(s.n_kv_heads == 2);
  CHECK(s.kv_head_begin == 2);
  CHECK(s.ffn == 14336 / 4);
  CHECK(s.vocab_begin == 128256 / 4);
  CHECK(tp_check(c, 8).empty());
  CHECK(tp_check(c, 3).find("attention heads") != std::string::npos);
  CHECK(tp_check(c, 16).find("KV heads") != std::string::npos);
  CHECK_THROWS_AS(tp_shard(c, 0, 16), std::invalid_argument);
}

namespace {

// Logits of a prompt then two decode steps through TP ranks (rows concatenated).
std::vector<float> tp_logits(std::shared_ptr<const Model> m, int n, const std::vector<int32_t>& prompt) {
  auto comms = make_in_process_group(n);
  std::vector<std::vector<float>> out(n);
  run_ranks(comms, [&](Communicator& c) {
    TpReferenceRank rank(m, c);
    std::vector<float> all = rank.forward(prompt, 0);
    const int32_t next[2] = {7, 11};
    for (int i = 0; i < 2; ++i) {
      auto l = rank.forward(std::span<const int32_t>(&next[i], 1), (int)prompt.size() + i);
      all.insert(all.end(), l.begin(), l.end());
    }
    out[c.rank()] = std::move(all);
  });
  for (int r = 1; r < n; ++r) CHECK(out[r] == out[0]);
  return out[0];
}

std::vector<float> cpu_logits(std::shared_ptr<const Model> m, const std::vector<int32_t>& prompt) {
  CpuEngineOptions eo;
  eo.threads = 1;
  eo.kv_slots = 64;
  auto e = make_cpu_engine(m, eo);
  std::vector<int32_t> slots(64);
  for (int i = 0; i < 64; ++i) slots[i] = i;
  std::vector<float> all, l;
  SeqInput s;
  s.tokens = prompt;
  s.pos = 0;
  s.slots = slots;
  s.all_logits = true;
  e->forward(std::span<const SeqInput>(&s, 1), l);
  all = l;
  const int32_t next[2] = {7, 11};
  for (int i = 0; i < 2; ++i) {
    s.tokens = std::span<const int32_t>(&next[i], 1);
    s.pos = (int)prompt.size() + i;
    s.all_logits = false;
    e->forward(std::span<const SeqInput>(&s, 1), l);
    all.insert(all.end(), l.begin(), l.end());
  }
  return all;
}

double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double scale = 0, d = 0;
  for (float v : b) scale = std::max(scale, (double)std::fabs(v));
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, (double)std::fabs(a[i] - b[i]));
  return d / std::max(scale, 1e-6);
}

}  // namespace

TEST_CASE("tensor-parallel math on the CPU matches the unsharded forward") {
  struct Variant {
    const char* name;
    bool bias, interleaved, tied;
    int window;
  };
  for (Variant v : {Variant{"llama2c-like", false, true, true, 0}, Variant{"qwen2-like", true, false, false, 0},
                    Variant{"mistral-like window", false, false, true, 3}}) {
    CAPTURE(v.name);
    ModelConfig c = random_model_config("stories260K");
    c.qkv_bias = v.bias;
    c.rope_interleaved = v.interleaved;
    c.tied_embeddings = v.tied;
    c.sliding_window = v.window;
    c.vocab_size = 509;  // not divisible by the rank counts: uneven vocabulary shards
    std::shared_ptr<const Model> m = make_random_model(c, DType::F32, 77);
    const std::vector<int32_t> prompt = {1, 300, 42, 5, 508, 17};
    std::vector<float> full = tp_logits(m, 1, prompt);
    std::vector<float> cpu = cpu_logits(m, prompt);
    // TP-1 reference vs the CPU engine: same math, different kernels and summation order.
    CHECK(max_rel_diff(full, cpu) < 1e-4);
    for (int n : {2, 4}) {
      CAPTURE(n);
      std::vector<float> sharded = tp_logits(m, n, prompt);
      // N shards' partial results all-reduced equal the full result.
      CHECK(max_rel_diff(sharded, full) < 1e-5);
    }
  }
}

TEST_CASE("sampling reference: same distribution as the CPU Sampler") {
  const int V = 24;
  std::vector<float> logits(V);
  for (int i = 0; i < V; ++i) logits[i] = std::sin((float)i * 1.7f) * 2.0f + (float)(i % 5) * 0.3f;
  struct P {
    float temp;
    int top_k;
    float top_p, min_p;
  };
  for (P p : {P{1.0f, 0, 1.0f, 0.0f}, P{0.7f, 5, 1.0f, 0.0f}, P{1.2f, 0, 0.8f, 0.0f}, P{1.0f, 0, 1.0f, 0.2f},
              P{0.9f, 10, 0.9f, 0.05f}}) {
    CAPTURE(p.temp);
    CAPTURE(p.top_k);
    CAPTURE(p.top_p);
    CAPTURE(p.min_p);
    cuda::SampleRow row;
    row.temperature = p.temp;
    row.top_k = p.top_k;
    row.top_p = p.top_p;
    row.min_p = p.min_p;
    const auto ref = cuda::sample_ref(logits.data(), V, row, nullptr, nullptr);
    SamplingParams sp;
    sp.temperature = p.temp;
    sp.top_k = p.top_k;
    sp.top_p = p.top_p;
    sp.min_p = p.min_p;
    sp.seed = 5;
    Sampler s(sp);
    const int N = 40000;
    std::vector<int> count(V, 0), ref_count(V, 0);
    for (int i = 0; i < N; ++i) ++count[s.sample(logits, {}).token];
    for (int i = 0; i < N; ++i) {
      row.uniform = cuda::sample_uniform(99, (uint64_t)i);
      ++ref_count[cuda::sample_ref(logits.data(), V, row, nullptr, nullptr).token];
    }
    for (int i = 0; i < V; ++i) {
      CAPTURE(i);
      CHECK(std::fabs(count[i] / (double)N - ref.probs[i]) < 0.012);
      CHECK(std::fabs(ref_count[i] / (double)N - ref.probs[i]) < 0.012);
      if (ref.probs[i] == 0) CHECK(count[i] == 0);
    }
  }
}

TEST_CASE("sampling reference: greedy, penalties, logprobs") {
  std::vector<float> logits = {0.5f, 3.0f, 3.0f, -1.0f, 2.5f};
  cuda::SampleRow row;
  auto r = cuda::sample_ref(logits.data(), 5, row, nullptr, nullptr);
  CHECK(r.token == 1);  // ties to the lowest id
  const int32_t pen_tok[2] = {1, 2};
  const float pen_val[2] = {1.0f, 0.2f};
  row.pen_begin = 0;
  row.pen_end = 2;
  row.top_logprobs = 3;
  r = cuda::sample_ref(logits.data(), 5, row, pen_tok, pen_val);
  CHECK(r.token == 2);
  // Logprobs under the unmodified logits, as the CPU Sampler.
  std::vector<float> lp;
  log_softmax(logits, lp);
  CHECK(r.logprob == doctest::Approx(lp[2]).epsilon(1e-6));
  CHECK(r.top_ids == std::vector<int32_t>{1, 2, 4});
  CHECK(r.top_lp[0] == doctest::Approx(lp[1]).epsilon(1e-6));
  // uniform draws: deterministic and in [0, 1)
  CHECK(cuda::sample_uniform(1, 2) == cuda::sample_uniform(1, 2));
  CHECK(cuda::sample_uniform(1, 2) != cuda::sample_uniform(1, 3));
  for (uint64_t i = 0; i < 1000; ++i) {
    float u = cuda::sample_uniform(7, i);
    CHECK((u >= 0.0f && u < 1.0f));
  }
}
