// Scheduler on the real CPU engine. With stories260K (label `model`): greedy outputs identical to
// one-request-at-a-time decoding with the radix cache on and off, batched and alone, with and
// without chunked prefill, with pages of 4, and across forced retraction; prefill-only priming
// then siblings reusing the prefix. On a random stories260K-shaped model (no files needed): score
// logprobs equal a full forward, in-batch prefix deferral, owner finishes, rejected requests,
// a random mixed workload with every invariant checked after every step, and teardown mid-run.
#include "scheduler.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "../test_models.h"
#include "model_loader.h"
#include "random_model.h"
#include "sampler.h"
#include "tokenizer.h"

using namespace sgl;
using namespace sgl::serve;
using sgl::test::have_model;
using sgl::test::model_path;

namespace {

using Toks = std::vector<int32_t>;

int32_t argmax(const float* p, int n) {
  return (int32_t)(std::max_element(p, p + n) - p);
}

// The reference: one request alone, straight on the engine (prefill, then one token per forward).
Toks greedy_alone(Engine& e, const Toks& prompt, int n) {
  KvPool& kv = e.kv_pool();
  Toks slots, toks = prompt, out;
  REQUIRE(kv.alloc((int32_t)prompt.size(), slots));
  std::vector<float> lg;
  SeqInput s{prompt, 0, slots, false};
  e.forward(std::span<const SeqInput>(&s, 1), lg);
  const int V = e.config().vocab_size;
  for (int i = 0; i < n; ++i) {
    out.push_back(argmax(lg.data(), V));
    toks.push_back(out.back());
    if (i + 1 == n) break;
    slots.push_back(kv.alloc());
    SeqInput d{std::span<const int32_t>(&toks.back(), 1), (int32_t)toks.size() - 1, slots, false};
    e.forward(std::span<const SeqInput>(&d, 1), lg);
  }
  kv.release(slots);
  return out;
}

// Log-probabilities of `cont` after `prompt` from one full forward of prompt + cont.
std::vector<float> score_alone(Engine& e, const Toks& prompt, const Toks& cont) {
  Toks all = prompt;
  all.insert(all.end(), cont.begin(), cont.end());
  Toks slots;
  REQUIRE(e.kv_pool().alloc((int32_t)all.size(), slots));
  std::vector<float> lg, lsm, out;
  SeqInput s{all, 0, slots, true};
  e.forward(std::span<const SeqInput>(&s, 1), lg);
  const size_t V = (size_t)e.config().vocab_size;
  for (size_t j = 0; j < cont.size(); ++j) {
    log_softmax(std::span<const float>(lg.data() + (prompt.size() - 1 + j) * V, V), lsm);
    out.push_back(lsm[(size_t)cont[j]]);
  }
  e.kv_pool().release(slots);
  return out;
}

std::shared_ptr<const Model> random_260k() {
  static std::shared_ptr<const Model> m(
      make_random_model(random_model_config("stories260K"), DType::F32));
  return m;
}

Toks concat(const Toks& a, const Toks& b) {
  Toks r = a;
  r.insert(r.end(), b.begin(), b.end());
  return r;
}

}  // namespace

TEST_CASE("greedy outputs equal one-at-a-time decoding in every scheduler configuration" *
          doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K.bin")) return;
  std::shared_ptr<const Model> m = load_model(model_path("stories260K/stories260K.bin"));
  auto tok = load_tokenizer(model_path("stories260K/stories260K.bin"));
  std::vector<std::string> texts = {
      "Once upon a time, there was a little girl named Lily. She loved to play outside",
      "Once upon a time, there was a little girl named Lily. She had a big red ball",
      "Once upon a time, there was a little boy named Tom.",
      "The cat sat on the mat.",
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun",
      "Lily and Ben went to the park.",
  };
  const int n = 40;
  std::vector<Toks> prompts, ref;
  auto ref_engine = make_cpu_engine(m, {2, 512});
  for (auto& t : texts) {
    prompts.push_back(tok->encode(t, true));
    ref.push_back(greedy_alone(*ref_engine, prompts.back(), n));
  }

  struct Config {
    const char* name;
    SchedulerOptions o;
    bool expect_retraction = false;
  };
  std::vector<Config> configs;
  auto add = [&](const char* name, auto edit, bool retract = false) {
    SchedulerOptions o;
    o.check_invariants = true;
    o.in_batch_prefix_threshold = 8;
    edit(o);
    configs.push_back({name, o, retract});
  };
  add("radix, batched", [](SchedulerOptions&) {});
  add("no radix, batched", [](SchedulerOptions& o) { o.disable_radix_cache = true; });
  add("radix, alone", [](SchedulerOptions& o) { o.max_running_requests = 1; });
  add("no radix, alone", [](SchedulerOptions& o) {
    o.max_running_requests = 1;
    o.disable_radix_cache = true;
  });
  add("radix, chunked 7", [](SchedulerOptions& o) { o.chunked_prefill_size = 7; });
  add("no radix, chunked 5", [](SchedulerOptions& o) {
    o.chunked_prefill_size = 5;
    o.disable_radix_cache = true;
  });
  add("radix, fcfs", [](SchedulerOptions& o) { o.policy = SchedulePolicy::Fcfs; });
  add("radix, dfs-weight, chunked 16", [](SchedulerOptions& o) {
    o.policy = SchedulePolicy::DfsWeight;
    o.chunked_prefill_size = 16;
  });
  add("radix, page 4", [](SchedulerOptions& o) { o.page_size = 4; });
  add("no radix, page 4, chunked 6", [](SchedulerOptions& o) {
    o.page_size = 4;
    o.disable_radix_cache = true;
    o.chunked_prefill_size = 6;
  });
  // Pools too small for all six at once: requests are retracted mid-decode and come back.
  add(
      "radix, tiny pool",
      [](SchedulerOptions& o) {
        o.max_total_tokens = 110;
        o.new_token_ratio = 0.1;
      },
      true);
  add(
      "no radix, tiny pool",
      [](SchedulerOptions& o) {
        o.max_total_tokens = 110;
        o.new_token_ratio = 0.1;
        o.disable_radix_cache = true;
      },
      true);
  add(
      "radix, tiny pool, page 2, chunked 9",
      [](SchedulerOptions& o) {
        o.max_total_tokens = 120;
        o.new_token_ratio = 0.1;
        o.page_size = 2;
        o.chunked_prefill_size = 9;
      },
      true);

  for (auto& cfg : configs) {
    CAPTURE(cfg.name);
    auto eng = make_cpu_engine(m, {2, 512});
    Scheduler s(*eng, cfg.o);
    std::vector<Request> reqs(prompts.size());
    std::vector<Request*> done;
    for (size_t i = 0; i < reqs.size(); ++i) {
      reqs[i].prompt = prompts[i];
      reqs[i].max_new_tokens = n;
    }
    // Half now, the rest after a few steps, so that prefills join running decodes.
    for (size_t i = 0; i < 3; ++i) s.submit(&reqs[i]);
    for (int k = 0; k < 3; ++k) s.step(done);
    for (size_t i = 3; i < reqs.size(); ++i) s.submit(&reqs[i]);
    s.run_until_idle(done);
    CHECK(done.size() == reqs.size());
    for (size_t i = 0; i < reqs.size(); ++i) {
      CAPTURE(texts[i]);
      CHECK(reqs[i].output == ref[i]);
      CHECK(reqs[i].finish == Finish::Length);
      CHECK(reqs[i].completion_tokens == n);
    }
    const SchedulerStats& st = s.stats();
    if (cfg.o.disable_radix_cache)
      CHECK(st.reused_tokens == 0);
    else
      CHECK(st.reused_tokens > 0);  // the prompts share "Once upon a time, ..."
    if (cfg.expect_retraction) CHECK(st.retractions > 0);
    // Idle: every slot is free or cached.
    CHECK(s.allocator().free_tokens() + (int32_t)s.cache().cached_tokens() ==
          s.allocator().capacity());
    s.check_invariants();
  }
}

TEST_CASE("prefill-only priming: siblings reuse the prefix and compute fewer tokens" *
          doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K.bin")) return;
  std::shared_ptr<const Model> m = load_model(model_path("stories260K/stories260K.bin"));
  auto tok = load_tokenizer(model_path("stories260K/stories260K.bin"));
  Toks prefix = tok->encode(
      "Once upon a time, there was a little dog named Max. Max liked to run and jump in the", true);
  std::vector<Toks> tails = {tok->encode(" park", false),
                             tok->encode(" garden with his friend", false),
                             tok->encode(" snow", false), tok->encode(" big field", false)};
  std::vector<Toks> outputs[2];
  int64_t computed[2];
  for (bool disable : {false, true}) {
    CAPTURE(disable);
    auto eng = make_cpu_engine(m, {2, 512});
    SchedulerOptions o;
    o.disable_radix_cache = disable;
    o.check_invariants = true;
    Scheduler s(*eng, o);
    std::vector<Request*> done;
    Request prime;
    prime.kind = RequestKind::PrefillOnly;
    prime.prompt = prefix;
    s.submit(&prime);
    s.run_until_idle(done);
    CHECK(prime.output.empty());
    CHECK(prime.finish == Finish::Length);
    CHECK(s.stats().prefill_tokens == (int64_t)prefix.size());
    std::vector<Request> sib(tails.size());
    for (size_t i = 0; i < sib.size(); ++i) {
      sib[i].prompt = concat(prefix, tails[i]);
      sib[i].max_new_tokens = 12;
      s.submit(&sib[i]);
    }
    s.run_until_idle(done);
    for (auto& r : sib) {
      CHECK(r.cached_tokens == (disable ? 0 : (int32_t)prefix.size()));
      outputs[disable].push_back(r.output);
    }
    computed[disable] = s.stats().prefill_tokens;
    if (!disable) {
      int64_t tails_len = 0;
      for (auto& t : tails) tails_len += (int64_t)t.size();
      CHECK(computed[0] == (int64_t)prefix.size() + tails_len);  // the prefix once, then tails only
      CHECK(s.stats().hit_rate() > 0.5);
    }
  }
  CHECK(computed[0] < computed[1]);
  CHECK(outputs[0] == outputs[1]);
}

TEST_CASE("score requests give the logprobs of a full forward, sharing one prefill of the prompt") {
  std::shared_ptr<const Model> m = random_260k();
  auto ref_engine = make_cpu_engine(m, {2, 256});
  Toks prompt = {1, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140};
  std::vector<Toks> conts = {{200}, {201, 202, 203}, {}, {300, 301, 302, 303, 304, 305, 306}};
  std::vector<std::vector<float>> ref;
  for (auto& c : conts) ref.push_back(score_alone(*ref_engine, prompt, c));
  for (int32_t page : {1, 4}) {
    CAPTURE(page);
    auto eng = make_cpu_engine(m, {2, 256});
    SchedulerOptions o;
    o.page_size = page;
    o.check_invariants = true;
    Scheduler s(*eng, o);
    std::vector<Request*> done;
    Request a, b;
    for (Request* r : {&a, &b}) {
      r->kind = RequestKind::Score;
      r->prompt = prompt;
      r->continuations = conts;
    }
    s.submit(&a);
    s.run_until_idle(done);
    int64_t after_first = s.stats().prefill_tokens;
    s.submit(&b);  // the same prompt again: only the continuations are computed
    s.run_until_idle(done);
    for (Request* r : {&a, &b}) {
      REQUIRE(r->logprobs.size() == conts.size());
      CHECK(r->finish == Finish::Stop);
      for (size_t i = 0; i < conts.size(); ++i) {
        REQUIRE(r->logprobs[i].size() == conts[i].size());
        for (size_t j = 0; j < conts[i].size(); ++j)
          CHECK(std::fabs(r->logprobs[i][j] - ref[i][j]) < 1e-4f);
      }
    }
    CHECK(b.cached_tokens == (int32_t)((prompt.size() - 1) / page * page));
    int64_t second = s.stats().prefill_tokens - after_first;
    CHECK(second < after_first);
  }
}

TEST_CASE(
    "requests sharing a new prefix: lpm runs one first and the rest reuse it; fcfs does not") {
  std::shared_ptr<const Model> m = random_260k();
  Toks stem = {1};
  for (int i = 0; i < 40; ++i) stem.push_back(10 + i);
  int64_t prefill[2];
  for (SchedulePolicy pol : {SchedulePolicy::Lpm, SchedulePolicy::Fcfs}) {
    auto eng = make_cpu_engine(m, {2, 512});
    SchedulerOptions o;
    o.policy = pol;
    o.in_batch_prefix_threshold = 8;
    o.check_invariants = true;
    Scheduler s(*eng, o);
    std::vector<Request> r(4);
    std::vector<Request*> done;
    for (size_t i = 0; i < r.size(); ++i) {
      r[i].prompt = concat(stem, {(int32_t)(300 + i), (int32_t)(310 + i), (int32_t)(320 + i)});
      r[i].max_new_tokens = 3;
      s.submit(&r[i]);
    }
    s.run_until_idle(done);
    prefill[pol == SchedulePolicy::Fcfs] = s.stats().prefill_tokens;
    if (pol == SchedulePolicy::Lpm)
      for (size_t i = 1; i < r.size(); ++i) CHECK(r[i].cached_tokens == (int32_t)stem.size());
  }
  CHECK(prefill[0] == 44 + 3 * 3);  // the stem once
  CHECK(prefill[1] == 4 * 44);      // all four admitted together, nothing cached yet
}

TEST_CASE("owner decisions and limits end requests with the right reason") {
  std::shared_ptr<const Model> m = random_260k();
  auto eng = make_cpu_engine(m, {2, 256});
  SchedulerOptions o;
  o.check_invariants = true;
  Scheduler s(*eng, o);
  Request stop3, stop_with_token, capped, bad_owner;
  for (Request* r : {&stop3, &stop_with_token, &capped, &bad_owner}) r->prompt = {1, 5, 6, 7};
  stop3.owner = [](std::span<const float> lg, const Request& r) {
    if (r.output.size() == 3) return NextToken{-1, Finish::Stop};
    return NextToken{argmax(lg.data(), (int)lg.size()), Finish::None};
  };
  stop_with_token.owner = [](std::span<const float>, const Request&) {
    return NextToken{42, Finish::Stop};
  };
  capped.max_new_tokens = 5;
  bad_owner.owner = [](std::span<const float>, const Request&) { return NextToken{}; };
  std::vector<Request*> done;
  for (Request* r : {&stop3, &stop_with_token, &capped, &bad_owner}) s.submit(r);
  s.run_until_idle(done);
  CHECK(done.size() == 4);
  CHECK(stop3.finish == Finish::Stop);
  CHECK(stop3.output.size() == 3);
  CHECK(stop_with_token.output == Toks{42});  // appended, then finished
  CHECK(stop_with_token.finish == Finish::Stop);
  CHECK(capped.finish == Finish::Length);
  CHECK(capped.completion_tokens == 5);
  CHECK(bad_owner.finish == Finish::Abort);
  CHECK(!bad_owner.error.empty());
  CHECK(capped.meta_json().find("\"finish_reason\":\"length\"") != std::string::npos);
}

TEST_CASE("invalid requests finish with Abort and a message instead of failing the step") {
  std::shared_ptr<const Model> m = random_260k();
  auto eng = make_cpu_engine(m, {2, 64});
  Scheduler s(*eng, {});
  Request empty, bad_id, too_long, bad_cont, fine;
  bad_id.prompt = {1, 99999};
  too_long.prompt = Toks(64, 3);  // no room for a generated token in a 64-slot pool
  bad_cont.kind = RequestKind::Score;
  bad_cont.prompt = {1, 2};
  bad_cont.continuations = {{-1}};
  fine.prompt = {1, 2, 3};
  fine.max_new_tokens = 2;
  std::vector<Request*> done;
  for (Request* r : {&empty, &bad_id, &too_long, &bad_cont, &fine}) s.submit(r);
  s.run_until_idle(done);
  CHECK(done.size() == 5);
  for (Request* r : {&empty, &bad_id, &too_long, &bad_cont}) {
    CHECK(r->finish == Finish::Abort);
    CHECK(!r->error.empty());
  }
  CHECK(fine.finish == Finish::Length);
  CHECK(fine.output.size() == 2);
}

TEST_CASE(
    "random mixed workloads: every request finishes and every invariant holds after every step") {
  std::shared_ptr<const Model> m = random_260k();
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::mt19937_64 rng(seed);
    auto rnd = [&](int n) { return (int)(rng() % (uint64_t)n); };
    SchedulerOptions o;
    o.check_invariants = true;
    o.page_size = 1 + rnd(3);
    o.disable_radix_cache = rnd(4) == 0;
    o.chunked_prefill_size = rnd(2) ? 0 : 3 + rnd(10);
    o.max_running_requests = 1 + rnd(8);
    o.max_total_tokens = 96 + rnd(64);
    o.new_token_ratio = 0.05 + 0.5 * rnd(2);
    o.policy = (SchedulePolicy)rnd(3);
    o.in_batch_prefix_threshold = 4;
    INFO("seed " << seed << " page " << o.page_size << " chunk " << o.chunked_prefill_size
                 << " pool " << o.max_total_tokens);
    auto eng = make_cpu_engine(m, {2, 256});
    Scheduler s(*eng, o);
    std::vector<Toks> stems(3);
    for (auto& st : stems) {
      st = {1};
      for (int j = rnd(20); j > 0; --j) st.push_back(3 + rnd(20));
    }
    std::vector<Request> reqs(24);
    std::vector<Request*> done;
    size_t submitted = 0;
    while (submitted < reqs.size() || !s.idle()) {
      for (int k = rnd(4); k > 0 && submitted < reqs.size(); --k) {
        Request& r = reqs[submitted++];
        r.prompt = stems[(size_t)rnd(3)];
        for (int j = rnd(8); j > 0; --j) r.prompt.push_back(3 + rnd(100));
        int kind = rnd(6);
        if (kind == 0) {
          r.kind = RequestKind::PrefillOnly;
        } else if (kind == 1) {
          r.kind = RequestKind::Score;
          for (int c = 1 + rnd(3); c > 0; --c) r.continuations.push_back(Toks((size_t)rnd(5), 7));
        } else {
          r.max_new_tokens = 1 + rnd(30);
          if (rnd(2)) r.owner = greedy_owner(5 + rnd(10));  // may stop early
        }
        s.submit(&r);
      }
      s.step(done);
    }
    CHECK(done.size() == reqs.size());
    for (auto& r : reqs) {
      CHECK(r.finish != Finish::None);
      CHECK(r.finish != Finish::Abort);
      CHECK((int32_t)r.output.size() <= std::max(r.max_new_tokens, 0));
    }
    CHECK(s.allocator().free_tokens() + (int32_t)s.cache().cached_tokens() ==
          s.allocator().capacity());
  }
}

TEST_CASE("a scheduler destroyed mid-run gives every KV slot back to the engine's pool") {
  std::shared_ptr<const Model> m = random_260k();
  auto eng = make_cpu_engine(m, {2, 128});
  std::vector<Request> reqs(4);
  {
    SchedulerOptions o;
    o.chunked_prefill_size = 4;  // leaves a request mid-prefill as well as ones decoding
    Scheduler s(*eng, o);
    CHECK(eng->kv_pool().free_slots() == 0);  // claimed by the scheduler's allocator
    std::vector<Request*> done;
    for (size_t i = 0; i < reqs.size(); ++i) {
      reqs[i].prompt = {1, 20, 21, 22, 23, 24, (int32_t)(30 + i)};
      reqs[i].max_new_tokens = 50;
      s.submit(&reqs[i]);
      s.step(done);
    }
    CHECK(done.empty());
  }
  CHECK(eng->kv_pool().free_slots() == 128);
}

TEST_CASE("token_logprob equals log_softmax over wide, masked and peaked rows") {
  std::mt19937 g(3);
  float worst = 0;
  for (int round = 0; round < 30; ++round) {
    std::vector<float> row(round % 2 ? 32000 : 77);
    float spread = round % 3 == 0 ? 1.0f : round % 3 == 1 ? 20.0f : 200.0f;
    std::normal_distribution<float> d(round - 15.0f, spread);
    for (size_t i = 0; i < row.size(); ++i) row[i] = i % 11 == 5 ? -INFINITY : d(g);
    std::vector<float> ref;
    log_softmax(row, ref);
    for (size_t t = 0; t < row.size(); t += 7) {
      if (std::isinf(ref[t])) {
        CHECK(std::isinf(token_logprob(row, (int32_t)t)));
        continue;
      }
      worst = std::max(worst, std::fabs(token_logprob(row, (int32_t)t) - ref[t]) / std::max(1.0f, std::fabs(ref[t])));
    }
  }
  CHECK(worst < 2e-6f);
  MESSAGE("token_logprob: worst relative error " << worst);
}
