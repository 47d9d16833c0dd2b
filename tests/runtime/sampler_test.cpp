// Sampling (greedy, temperature, top-k/p, min-p, penalties, logprobs) and stop strings.
#include "sampler.h"

#include <doctest/doctest.h>

#include <cmath>
#include <map>

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
