// Next-token sampling from logits: penalties, temperature, top-k, top-p, min-p, a seeded RNG, and
// the per-token log-probabilities callers ask for. Stop conditions live in StopChecker.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace sgl {

struct SamplingParams {
  float temperature = 0.0f;  // 0: greedy
  int top_k = 0;             // 0: off
  float top_p = 1.0f;
  float min_p = 0.0f;
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  uint64_t seed = 0;
  int top_logprobs = 0;  // how many alternatives to report per token
  // Report the chosen token's log-probability (SampleResult::logprob). It costs a log-softmax over
  // the whole row (an exp per vocabulary entry), so callers that do not show it turn it off; then
  // logprob is 0.
  bool compute_logprob = true;
};

struct TokenLogprob {
  int32_t id;
  float logprob;
};

struct SampleResult {
  int32_t token;
  float logprob;                      // of the chosen token under the unmodified distribution
  std::vector<TokenLogprob> top;      // top_logprobs best tokens, best first
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& p);
  // `generated` holds the tokens produced so far (for the frequency / presence penalties).
  SampleResult sample(std::span<const float> logits, std::span<const int32_t> generated);
  const SamplingParams& params() const { return p_; }

 private:
  int32_t sample_top_k(int32_t V);
  int32_t sample_full(int32_t V);
  SamplingParams p_;
  std::mt19937_64 rng_;
  std::vector<float> work_;
  std::vector<float> prob_;  // unnormalised probabilities of the temperature path
  std::vector<int32_t> idx_;
};

// exp(x) for x <= 0 in float (0 below -87 and for NaN): range reduction to |r| <= ln2/2 and a
// degree-7 polynomial, relative error below 5e-7. Four lanes at a time through vector
// extensions at the baseline ISA (no FMA to contract into), so every machine gets the same bits
// and the sampler draws the same token from the same logits everywhere. Exposed for its test.
float exp_nonpos(float x);
// The sum over the row of exp_nonpos(x - mx) (mx: the row's maximum), in double: logsumexp for
// token_logprob and the like, vectorised.
double sum_exp_shifted(std::span<const float> row, float mx);

// Log-softmax of one row (for scoring and logprobs).
void log_softmax(std::span<const float> logits, std::vector<float>& out);

// Ends generation on a stop token id or when the text contains a stop string. Text is checked
// incrementally; `trim` says how many trailing bytes belong to the stop string (to drop them).
class StopChecker {
 public:
  StopChecker(std::vector<int32_t> stop_ids, std::vector<std::string> stop_strings)
      : ids_(std::move(stop_ids)), strs_(std::move(stop_strings)) {}
  bool is_stop_token(int32_t id) const;
  // Feed newly produced text; returns true when a stop string has appeared. `*keep` is how many
  // bytes of the whole text so far come before the stop string.
  bool feed(const std::string& piece, size_t* keep);
  // Bytes at the end of the text that could still be the start of a stop string (hold them back
  // when streaming).
  size_t held_back() const;
  const std::string& text() const { return text_; }

 private:
  std::vector<int32_t> ids_;
  std::vector<std::string> strs_;
  std::string text_;
};

}  // namespace sgl
