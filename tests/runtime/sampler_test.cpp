// Sampling (greedy, temperature, top-k/p, min-p, penalties, logprobs) and stop strings.
#include "sampler.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

using namespace sgl;

TEST_CASE("greedy picks the argmax, lowest id on ties, and reports logprobs") {
  Sampler s({});
  std::vector<float> lg = {1, 3, 3, 0};
  auto r = s.sample(lg, {});
  CHECK(r.token == 1);
  double z = std::exp(1.0) + 2 * std::exp(3.0) + 1;
  CHECK(r.logprob == doctest::Approx(3 - std::log(z)).epsilon(1e-5));
  SamplingParams p;
  p.top_logprobs = 2;
  Sampler s2(p);
  auto r2 = s2.sample(lg, {});
  REQUIRE(r2.top.size() == 2);
  CHECK(r2.top[0].id == 1);
  CHECK(r2.top[1].id == 2);
}

TEST_CASE("greedy without logprobs (no copy, vectorised argmax) picks the first maximum") {
  SamplingParams p;
  p.compute_logprob = false;
  Sampler s(p);
  std::mt19937 rng(3);
  for (size_t n : {1u, 5u, 15u, 16u, 17u, 31u, 32u, 33u, 100u, 32000u}) {
    CAPTURE(n);
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<float> v(n);
      // Few distinct values, so ties are common; sometimes -inf and NaN entries.
      for (float& x : v) x = static_cast<float>(rng() % 7);
      if (trial % 3 == 0) v[rng() % n] = -std::numeric_limits<float>::infinity();
      if (trial % 4 == 1 && n > 1) v[rng() % n] = std::numeric_limits<float>::quiet_NaN();
      if (trial % 5 == 2) v[n - 1] = 100;  // the maximum in the tail past the last 16 lanes
      int32_t want = -1;
      for (size_t i = 0; i < n; ++i)
        if (!std::isnan(v[i]) && (want < 0 || v[i] > v[static_cast<size_t>(want)])) want = static_cast<int32_t>(i);
      if (want < 0) want = 0;
      CHECK(s.sample(v, {}).token == want);
    }
  }
}

TEST_CASE("top-k 1 is greedy, seeds reproduce, penalties change the choice") {
  std::vector<float> lg = {0.5f, 2.0f, 1.9f, -1.0f};
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 1;
  Sampler a(p);
  for (int i = 0; i < 10; ++i) CHECK(a.sample(lg, {}).token == 1);
  p.top_k = 0;
  p.seed = 5;
  Sampler b(p), c(p);
  for (int i = 0; i < 20; ++i) CHECK(b.sample(lg, {}).token == c.sample(lg, {}).token);
  SamplingParams g;
  g.presence_penalty = 0.5f;
  Sampler d(g);
  std::vector<int32_t> gen = {1};
  CHECK(d.sample(lg, gen).token == 2);
  g.presence_penalty = 0;
  g.frequency_penalty = 0.2f;
  Sampler e(g);
  std::vector<int32_t> gen2 = {1};
  CHECK(e.sample(lg, gen2).token == 2);
}

TEST_CASE("top-p and min-p cut the tail") {
  std::vector<float> lg = {5.0f, 4.9f, 0.0f, -2.0f};
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_p = 0.5f;
  p.seed = 1;
  Sampler s(p);
  for (int i = 0; i < 50; ++i) CHECK(s.sample(lg, {}).token == 0);
  p.top_p = 1.0f;
  p.min_p = 0.5f;
  Sampler m(p);
  std::map<int, int> seen;
  for (int i = 0; i < 200; ++i) seen[m.sample(lg, {}).token]++;
  CHECK(seen.count(2) == 0);
  CHECK(seen.count(3) == 0);
  CHECK(seen[0] > 0);
  CHECK(seen[1] > 0);
}

TEST_CASE("stop strings: detected across pieces, prefixes held back") {
  StopChecker st({2}, {"END"});
  CHECK(st.is_stop_token(2));
  size_t keep = 0;
  CHECK_FALSE(st.feed("abc E", &keep));
  CHECK(st.held_back() == 1);
  CHECK(st.feed("ND more", &keep));
  CHECK(keep == 4);
}

namespace {

// The sampler's temperature path as it was with a comparison sort (std::sort best first, ties by
// id); the radix sort that replaced it must pick exactly the same tokens for the same seed.
int32_t reference_sample(const std::vector<float>& w, const SamplingParams& p, std::mt19937_64& rng) {
  const int32_t V = (int32_t)w.size();
  std::vector<int32_t> idx(V);
  for (int32_t i = 0; i < V; ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return w[a] > w[b] || (w[a] == w[b] && a < b); });
  int32_t n = V;
  std::vector<double> prob(n);
  double mx = w[idx[0]] / p.temperature, sum = 0;
  for (int32_t i = 0; i < n; ++i) sum += prob[i] = std::exp(w[idx[i]] / p.temperature - mx);
  for (auto& v : prob) v /= sum;
  if (p.min_p > 0) {
    double thr = prob[0] * p.min_p;
    int32_t k = 1;
    while (k < n && prob[k] >= thr) ++k;
    n = k;
  }
  if (p.top_p < 1.0f) {
    double cum = 0;
    int32_t k = 0;
    while (k < n) {
      cum += prob[k++];
      if (cum >= p.top_p) break;
    }
    n = std::max(k, 1);
  }
  double total = 0;
  for (int32_t i = 0; i < n; ++i) total += prob[i];
  double u = std::uniform_real_distribution<double>(0.0, total)(rng);
  int32_t pick = n - 1;
  for (int32_t i = 0; i < n; ++i) {
    u -= prob[i];
    if (u <= 0) { pick = i; break; }
  }
  return idx[pick];
}

}  // namespace

TEST_CASE("temperature sampling picks what the comparison-sort sampler picked (ties, -0, -inf)") {
  std::mt19937_64 gen(42);
  std::uniform_real_distribution<float> val(-8.0f, 8.0f);
  const float ninf = -std::numeric_limits<float>::infinity();
  int checked = 0, distinct = 0;
  for (int round = 0; round < 40; ++round) {
    // Values on a coarse grid (many exact ties), signed zeros, masked -inf entries.
    std::vector<float> lg(round % 2 ? 32000 : 513);
    for (size_t i = 0; i < lg.size(); ++i) {
      float x = std::round(val(gen) * 4) / 4;
      if (i % 97 == 0) x = (i % 2) ? -0.0f : 0.0f;
      if (i % 13 == 0 && round % 3 == 0) x = ninf;
      lg[i] = x;
    }
    SamplingParams p;
    p.temperature = round % 4 == 0 ? 0.3f : round % 4 == 1 ? 0.8f : 1.5f;
    p.top_p = round % 5 == 0 ? 0.9f : 1.0f;
    p.min_p = round % 7 == 0 ? 0.05f : 0.0f;
    p.seed = 1000 + round;
    Sampler s(p);
    std::mt19937_64 ref_rng(p.seed);
    std::map<int32_t, int> seen;
    for (int k = 0; k < 25; ++k) {
      int32_t want = reference_sample(lg, p, ref_rng);
      CHECK(s.sample(lg, {}).token == want);
      ++seen[want];
      ++checked;
    }
    distinct += (int)seen.size();
  }
  CHECK(checked == 1000);
  CHECK(distinct > 100);  // the draws really were spread over many tokens
}

TEST_CASE("compute_logprob off: the same tokens, no log-softmax, logprob 0") {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin((float)i * 0.37f) * 4;
  for (float temp : {0.0f, 0.8f}) {
    SamplingParams on, off;
    on.temperature = off.temperature = temp;
    on.seed = off.seed = 7;
    off.compute_logprob = false;
    Sampler a(on), b(off);
    for (int i = 0; i < 50; ++i) {
      SampleResult x = a.sample(logits, {}), y = b.sample(logits, {});
      CHECK(x.token == y.token);
      CHECK(x.logprob < 0.0f);
      CHECK(y.logprob == 0.0f);
    }
  }
}
