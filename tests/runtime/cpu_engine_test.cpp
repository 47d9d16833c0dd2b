// CpuEngine: stories260K greedy output from all three formats, cross-format logits, batched vs
// one-at-a-time forward, argument validation.
#include "cpu_engine.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

#include "model_loader.h"
#include "random_model.h"
#include "test_models.h"
#include "tokenizer.h"

using namespace sgl;
using sgl::test::have_model;
using sgl::test::model_path;
using sgl::test::read_all;

namespace {

// Greedy decoding from BOS: n tokens in all (BOS included), one token per forward. llama2.c's
// "200 steps" prints 200 generated tokens, so its reference text is BOS + 200.
std::vector<int32_t> greedy(Engine& e, int n, std::vector<std::vector<float>>* logits_out = nullptr) {
  auto& kv = e.kv_pool();
  std::vector<int32_t> toks = {e.config().bos_id}, slots;
  std::vector<float> logits;
  while ((int)toks.size() < n) {
    int pos = (int)toks.size() - 1;
    slots.push_back(kv.alloc());
    SeqInput s;
    s.tokens = std::span<const int32_t>(&toks[pos], 1);
    s.pos = pos;
    s.slots = slots;
    e.forward(std::span<const SeqInput>(&s, 1), logits);
    if (logits_out) logits_out->push_back(logits);
    toks.push_back((int32_t)(std::max_element(logits.begin(), logits.end()) - logits.begin()));
  }
  kv.release(slots);
  return toks;
}

}  // namespace

TEST_CASE("stories260K greedy 200 reproduces llama2.c from .bin, GGUF and HF" * doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K.bin")) return;
  std::string expected = read_all(model_path("stories260K/expected_greedy_200.txt"));
  std::vector<std::vector<std::vector<float>>> all_logits;
  for (std::string p : {"stories260K/stories260K.bin", "stories260K-gguf/stories260K.gguf", "stories260K-hf"}) {
    if (!have_model(p)) continue;
    CAPTURE(p);
    std::shared_ptr<const Model> m = load_model(model_path(p));
    auto tok = load_tokenizer(model_path(p));
    auto eng = make_cpu_engine(m, {2, 512});
    std::vector<std::vector<float>> lg;
    auto ids = greedy(*eng, 201, &lg);
    CHECK(tok->decode(ids) == expected);
    all_logits.push_back(std::move(lg));
  }
  for (size_t f = 1; f < all_logits.size(); ++f) {
    float maxdiff = 0;
    for (size_t s = 0; s < all_logits[0].size() && s < all_logits[f].size(); ++s)
      for (size_t i = 0; i < all_logits[0][s].size(); ++i)
        maxdiff = std::max(maxdiff, std::fabs(all_logits[0][s][i] - all_logits[f][s][i]));
    CHECK(maxdiff < 1e-5f);
  }
}

TEST_CASE("batched forward (prefill and decode mixed) gives the same greedy tokens as one at a time" * doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K.bin")) return;
  std::shared_ptr<const Model> m = load_model(model_path("stories260K/stories260K.bin"));
  auto tok = load_tokenizer(model_path("stories260K/stories260K.bin"));
  auto eng = make_cpu_engine(m, {2, 2048});
  std::vector<std::string> prompts = {"Once upon a time", "Lily and Ben went to the park.", "The cat", ""};
  const int gen = 40;
  // Reference: each prompt alone, prefill then one token per step.
  std::vector<std::vector<int32_t>> ref;
  for (auto& p : prompts) {
    auto ids = tok->encode(p, true);
    std::vector<int32_t> slots;
    eng->kv_pool().alloc((int32_t)ids.size(), slots);
    std::vector<float> lg;
    SeqInput s{ids, 0, slots, false};
    eng->forward(std::span<const SeqInput>(&s, 1), lg);
    std::vector<int32_t> out;
    for (int i = 0; i < gen; ++i) {
      int32_t t = (int32_t)(std::max_element(lg.begin(), lg.end()) - lg.begin());
      out.push_back(t);
      slots.push_back(eng->kv_pool().alloc());
      int pos = (int)ids.size() + i;
      SeqInput d{std::span<const int32_t>(&out.back(), 1), pos, slots, false};
      eng->forward(std::span<const SeqInput>(&d, 1), lg);
    }
    eng->kv_pool().release(slots);
    ref.push_back(out);
  }
  // Batched: sequences start at different steps, so prefills and decodes share forwards.
  struct St { std::vector<int32_t> ids, slots, out; int start; bool prefilled = false; };
  std::vector<St> st(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    st[i].ids = tok->encode(prompts[i], true);
    st[i].start = (int)i * 3;
  }
  for (int step = 0; step < 200; ++step) {
    std::vector<SeqInput> batch;
    std::vector<size_t> who;
    for (size_t i = 0; i < st.size(); ++i) {
      St& s = st[i];
      if (step < s.start || (int)s.out.size() >= gen) continue;
      if (!s.prefilled) {
        eng->kv_pool().alloc((int32_t)s.ids.size(), s.slots);
        batch.push_back({s.ids, 0, s.slots, false});
      } else {
        s.slots.push_back(eng->kv_pool().alloc());
        batch.push_back({std::span<const int32_t>(&s.out.back(), 1), (int)(s.ids.size() + s.out.size()) - 1, s.slots, false});
      }
      who.push_back(i);
    }
    if (batch.empty()) break;
    std::vector<float> lg;
    eng->forward(batch, lg);
    for (size_t b = 0; b < who.size(); ++b) {
      St& s = st[who[b]];
      s.prefilled = true;
      const float* row = lg.data() + b * m->config.vocab_size;
      s.out.push_back((int32_t)(std::max_element(row, row + m->config.vocab_size) - row));
    }
  }
  for (size_t i = 0; i < st.size(); ++i) {
    CAPTURE(prompts[i]);
    CHECK(st[i].out == ref[i]);
  }
}

TEST_CASE("forward rejects bad slots and tokens") {
  ModelConfig c = random_model_config("stories260K");
  std::shared_ptr<const Model> m(make_random_model(c, DType::F32));
  auto e = make_cpu_engine(m, {1, 8});
  std::vector<float> lg;
  std::vector<int32_t> toks = {1, 2, 3}, few = {0, 1}, bad_slot = {0, 1, 99}, ok = {0, 1, 2};
  SeqInput s{toks, 0, few, false};
  CHECK_THROWS_AS(e->forward(std::span<const SeqInput>(&s, 1), lg), std::invalid_argument);
  s.slots = bad_slot;
  CHECK_THROWS_AS(e->forward(std::span<const SeqInput>(&s, 1), lg), std::invalid_argument);
  std::vector<int32_t> bad_tok = {1, 2, 9999};
  SeqInput t{bad_tok, 0, ok, true};
  CHECK_THROWS_AS(e->forward(std::span<const SeqInput>(&t, 1), lg), std::invalid_argument);
  SeqInput u{toks, 0, ok, true};
  e->forward(std::span<const SeqInput>(&u, 1), lg);
  CHECK(lg.size() == 3u * c.vocab_size);
}

TEST_CASE("a sequence can reuse another's K/V slots for a shared prefix (radix-cache style)" * doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K.bin")) return;
  std::shared_ptr<const Model> m = load_model(model_path("stories260K/stories260K.bin"));
  auto tok = load_tokenizer(model_path("stories260K/stories260K.bin"));
  auto eng = make_cpu_engine(m, {2, 256});
  auto& kv = eng->kv_pool();
  std::vector<int32_t> prefix = tok->encode("Once upon a time, there was a dog", true);
  std::vector<int32_t> tail = tok->encode(" named Max.", false);
  std::vector<int32_t> whole = prefix;
  whole.insert(whole.end(), tail.begin(), tail.end());
  // From scratch.
  std::vector<int32_t> s1;
  kv.alloc((int32_t)whole.size(), s1);
  std::vector<float> ref;
  SeqInput a{whole, 0, s1, false};
  eng->forward(std::span<const SeqInput>(&a, 1), ref);
  // Prefix once, then a second sequence that points at the prefix's slots and adds the tail.
  std::vector<int32_t> sp;
  kv.alloc((int32_t)prefix.size(), sp);
  std::vector<float> lg;
  SeqInput p{prefix, 0, sp, false};
  eng->forward(std::span<const SeqInput>(&p, 1), lg);
  std::vector<int32_t> s2 = sp;
  kv.alloc((int32_t)tail.size(), s2);
  SeqInput b{tail, (int32_t)prefix.size(), s2, false};
  eng->forward(std::span<const SeqInput>(&b, 1), lg);
  REQUIRE(lg.size() == ref.size());
  float md = 0;
  for (size_t i = 0; i < lg.size(); ++i) md = std::max(md, std::fabs(lg[i] - ref[i]));
  CHECK(md < 1e-4f);
}

TEST_CASE("sliding-window attention: a window of 1 makes each position depend on its own token only") {
  // With a window of one position, every attention layer returns the position's own V, so the
  // logits at position p equal those of token p alone at position 0. This pins the window's
  // bounds (an off-by-one attends to 0 or 2 positions) on both the prefill and decode paths.
  ModelConfig c = random_model_config("stories260K");
  c.sliding_window = 1;
  std::shared_ptr<const Model> m(make_random_model(c, DType::F32));
  auto e = make_cpu_engine(m, {1, 64});
  std::vector<int32_t> toks(24), slots(24);
  for (int i = 0; i < 24; ++i) toks[i] = (i * 37 + 5) % c.vocab_size, slots[i] = i;
  std::vector<float> prefill, alone, decode;
  SeqInput s{toks, 0, slots, true};
  e->forward(std::span<const SeqInput>(&s, 1), prefill);
  // The decode path: the last token on its own on top of the cached prefix.
  SeqInput d{std::span<const int32_t>(&toks[23], 1), 23, slots, false};
  e->forward(std::span<const SeqInput>(&d, 1), decode);
  std::vector<int32_t> one_slot = {40};
  for (int p : {0, 5, 17, 23}) {
    SeqInput a{std::span<const int32_t>(&toks[p], 1), 0, one_slot, false};
    e->forward(std::span<const SeqInput>(&a, 1), alone);
    float diff = 0;
    for (int v = 0; v < c.vocab_size; ++v) diff = std::max(diff, std::fabs(prefill[(size_t)p * c.vocab_size + v] - alone[v]));
    CHECK_MESSAGE(diff < 1e-4f, "position " << p);
    if (p == 23) {
      float dd = 0;
      for (int v = 0; v < c.vocab_size; ++v) dd = std::max(dd, std::fabs(decode[v] - alone[v]));
      CHECK(dd < 1e-4f);
    }
  }
  // And a window longer than the sequence changes nothing.
  ModelConfig wide = random_model_config("stories260K");
  wide.sliding_window = 24;
  std::shared_ptr<const Model> mw(make_random_model(wide, DType::F32));
  std::shared_ptr<const Model> mf(make_random_model(random_model_config("stories260K"), DType::F32));
  std::vector<float> lw, lf;
  make_cpu_engine(mw, {1, 64})->forward(std::span<const SeqInput>(&s, 1), lw);
  make_cpu_engine(mf, {1, 64})->forward(std::span<const SeqInput>(&s, 1), lf);
  CHECK(lw == lf);
}
