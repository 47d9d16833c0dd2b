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

// The exact distribution the temperature path samples from, in double: softmax(x / T) over the
// row; min-p keeps p >= min_p * p_max; top-p keeps the best tokens (by probability, ties by id)
// until their share of the whole row reaches top_p (the token that crosses it included).
std::vector<double> reference_distribution(const std::vector<float>& w, const SamplingParams& p) {
  const size_t V = w.size();
  double mx = -INFINITY;
  for (float x : w) mx = std::max(mx, (double)x);
  std::vector<double> q(V);
  double sum = 0;
  for (size_t i = 0; i < V; ++i) sum += q[i] = std::isinf(w[i]) ? 0.0 : std::exp(((double)w[i] - mx) / p.temperature);
  std::vector<size_t> idx(V);
  for (size_t i = 0; i < V; ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return q[a] > q[b] || (q[a] == q[b] && a < b); });
  std::vector<bool> keep(V, true);
  if (p.min_p > 0)
    for (size_t i = 0; i < V; ++i) keep[i] = q[i] >= p.min_p * q[idx[0]];
  if (p.top_p < 1.0f) {
    double cum = 0;
    size_t k = 0;
    for (; k < V; ++k) {
      if (!keep[idx[k]]) continue;
      cum += q[idx[k]];
      if (cum >= p.top_p * sum) break;
    }
    for (size_t j = k + 1; j < V; ++j) keep[idx[j]] = false;
  }
  double kept = 0;
  for (size_t i = 0; i < V; ++i) kept += keep[i] ? q[i] : 0.0;
  for (size_t i = 0; i < V; ++i) q[i] = keep[i] ? q[i] / kept : 0.0;
  return q;
}

}  // namespace

TEST_CASE("exp_nonpos: within 5e-7 of exp over [-87, 0], 0 below and for NaN") {
  double worst = 0;
  for (int i = 0; i <= 200000; ++i) {
    const float x = -87.0f * (float)i / 200000.0f;
    const double want = std::exp((double)x);
    worst = std::max(worst, std::fabs(exp_nonpos(x) - want) / want);
  }
  CHECK(worst < 5e-7);
  CHECK(exp_nonpos(0.0f) == 1.0f);
  CHECK(exp_nonpos(-0.0f) == 1.0f);
  CHECK(exp_nonpos(-88.0f) == 0.0f);
  CHECK(exp_nonpos(-std::numeric_limits<float>::infinity()) == 0.0f);
  CHECK(exp_nonpos(std::numeric_limits<float>::quiet_NaN()) == 0.0f);
}

TEST_CASE("temperature, top-p and min-p sample the exact distribution (ties, -0, -inf)") {
  // 12 tokens with ties, signed zeros and a masked -inf; 60,000 draws per setting; every
  // frequency within 5 standard deviations of the exact probability, dropped tokens never drawn.
  const float ninf = -std::numeric_limits<float>::infinity();
  const std::vector<float> lg = {1.0f, 2.5f, 2.5f, -0.0f, 0.0f, ninf, 1.75f, -1.0f, 2.5f, 0.5f, -3.0f, 1.0f};
  struct Setting {
    float t, top_p, min_p;
  };
  for (Setting st : {Setting{1.0f, 1.0f, 0.0f}, Setting{0.5f, 1.0f, 0.0f}, Setting{2.0f, 1.0f, 0.0f},
                     Setting{1.0f, 0.6f, 0.0f}, Setting{1.0f, 0.9f, 0.0f}, Setting{1.0f, 1.0f, 0.2f},
                     Setting{0.8f, 0.8f, 0.1f}}) {
    CAPTURE(st.t);
    CAPTURE(st.top_p);
    CAPTURE(st.min_p);
    SamplingParams p;
    p.temperature = st.t;
    p.top_p = st.top_p;
    p.min_p = st.min_p;
    p.seed = 77;
    p.compute_logprob = false;
    const auto want = reference_distribution(lg, p);
    Sampler s(p);
    const int n = 60000;
    std::vector<int> count(lg.size());
    for (int k = 0; k < n; ++k) count[s.sample(lg, {}).token]++;
    for (size_t i = 0; i < lg.size(); ++i) {
      CAPTURE(i);
      if (want[i] == 0) {
        CHECK(count[i] == 0);
      } else {
        const double sd = std::sqrt(n * want[i] * (1 - want[i]));
        CHECK(std::fabs(count[i] - n * want[i]) <= 5 * sd + 1);
      }
    }
  }
}

TEST_CASE("top-p on a 32,000-token row keeps exactly the reference set; seeds reproduce") {
  std::mt19937_64 gen(42);
  std::uniform_real_distribution<float> val(-8.0f, 8.0f);
  for (int round = 0; round < 6; ++round) {
    // A coarse grid (many exact ties, so the cut falls inside a run of equal probabilities).
    std::vector<float> lg(32000);
    for (float& x : lg) x = std::round(val(gen) * 4) / 4;
    SamplingParams p;
    p.temperature = round % 2 ? 0.7f : 1.3f;
    p.top_p = round < 3 ? 0.5f : 0.95f;
    p.min_p = round == 5 ? 0.01f : 0.0f;
    p.seed = 1000 + round;
    p.compute_logprob = false;
    const auto want = reference_distribution(lg, p);
    Sampler a(p), b(p);
    std::map<int32_t, int> seen;
    for (int k = 0; k < 2000; ++k) {
      const int32_t t = a.sample(lg, {}).token;
      CHECK(t == b.sample(lg, {}).token);
      CHECK(want[t] > 0);
      ++seen[t];
    }
    CHECK(seen.size() > 100);  // the draws really were spread over many tokens
  }
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
