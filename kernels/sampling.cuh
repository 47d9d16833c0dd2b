// Sampling on the device, one block per logits row, with the CPU Sampler's semantics:
//  - penalties: logit[tok] -= value for each (tok, value) in the row's penalty range (the host
//    folds frequency * count + presence per distinct generated token);
//  - temperature <= 0: greedy argmax (ties to the lowest id);
//  - else top-k (k-th largest value as a threshold), then probabilities exp((l - max) / T) over
//    the top-k set, min-p (keep p >= min_p * p_max), top-p (the smallest set of most likely
//    tokens with mass >= top_p), then one draw: the first token in id order whose cumulative
//    mass reaches uniform * total;
//  - logprob of the chosen token and the top_logprobs best (ties to the lowest id) under the
//    unmodified logits (log-softmax).
// Thresholds are found by binary search over the float bits instead of sorting: tokens tied at
// a threshold are all kept (the CPU Sampler cuts ties by id), the only semantic difference.
// `uniform` comes from sample_uniform(seed, step) so draws are reproducible and the CPU reference
// can replay them.
#pragma once

#include "cuda_types.h"

#include <cstdint>
#include <vector>

namespace sgl::cuda {

struct SampleRow {
  float temperature = 0.0f;
  int top_k = 0;
  float top_p = 1.0f;
  float min_p = 0.0f;
  float uniform = 0.0f;  // in [0, 1)
  int pen_begin = 0, pen_end = 0;  // range in pen_tok / pen_val
  int top_logprobs = 0;            // at most max_top
};

struct SampleBuffers {
  const float* logits = nullptr;  // [n][vocab]
  int n = 0, vocab = 0;
  const SampleRow* rows = nullptr;  // [n]
  const int32_t* pen_tok = nullptr;
  const float* pen_val = nullptr;
  float* work = nullptr;  // [n][vocab] scratch
  int max_top = 0;
  int32_t* token = nullptr;     // [n]
  float* logprob = nullptr;     // [n]
  int32_t* top_ids = nullptr;   // [n][max_top]
  float* top_lp = nullptr;      // [n][max_top]
};

// Threads per row block.
constexpr int kSampleThreads = 1024;

void sample(const SampleBuffers& b, cudaStream_t stream);

// Deterministic draw in [0, 1) from (seed, step) (splitmix64); host and device agree.
float sample_uniform(uint64_t seed, uint64_t step);

// CPU reference of one row (double sums): fills token, logprob, top (ids, logprobs).
struct SampleRefResult {
  int32_t token = 0;
  float logprob = 0;
  std::vector<int32_t> top_ids;
  std::vector<float> top_lp;
  std::vector<double> probs;  // the final distribution the draw used (0 outside the kept set)
};
SampleRefResult sample_ref(const float* logits, int vocab, const SampleRow& row, const int32_t* pen_tok,
                           const float* pen_val);

}  // namespace sgl::cuda
