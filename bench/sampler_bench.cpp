// Time per sampled token of sgl::Sampler on one 32,000-entry logits row (normal, sd 2): greedy,
// temperature 0.8, temperature with top-p 0.9, with top-k 40 (no logprobs).
// usage: sgl-sampler-bench [TOKENS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "sampler.h"

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 4000;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0, 2);
  std::vector<float> lg(32000);
  for (auto& x : lg) x = nd(rng);
  const char* names[4] = {"greedy", "temperature 0.8", "temperature 0.8, top-p 0.9", "temperature 0.8, top-k 40"};
  for (int mode = 0; mode < 4; ++mode) {
    sgl::SamplingParams p;
    p.temperature = mode == 0 ? 0.0f : 0.8f;
    p.compute_logprob = false;
    if (mode == 2) p.top_p = 0.9f;
    if (mode == 3) p.top_k = 40;
    sgl::Sampler s(p);
    long acc = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) acc += s.sample(lg, {}).token;
    const double us = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / n * 1e6;
    std::printf("%-28s %7.1f us/token  (checksum %ld)\n", names[mode], us, acc);
  }
}
