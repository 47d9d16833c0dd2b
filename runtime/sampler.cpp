// Sampling. Greedy breaks ties toward the lowest id (like llama2.c's argmax) so outputs are
// reproducible across formats whose logits differ in the last bits.
#include "sampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <unordered_map>

namespace sgl {

void log_softmax(std::span<const float> logits, std::vector<float>& out) {
  out.resize(logits.size());
  float mx = -INFINITY;
  for (float v : logits) mx = std::max(mx, v);
  double sum = 0;
  for (float v : logits) sum += std::exp((double)v - mx);
  float lse = mx + (float)std::log(sum);
  for (size_t i = 0; i < logits.size(); ++i) out[i] = logits[i] - lse;
}

Sampler::Sampler(const SamplingParams& p) : p_(p), rng_(p.seed) {}

namespace {
// Maximum of the row in 16 independent lanes (vectorised); NaN never wins (as in a `>` scan);
// -inf for an empty row or one of NaN and -inf only.
float row_max(std::span<const float> v) {
  const size_t n = v.size();
  constexpr size_t kLanes = 16;
  float lane[kLanes];
  for (size_t j = 0; j < kLanes; ++j) lane[j] = -std::numeric_limits<float>::infinity();
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (size_t j = 0; j < kLanes; ++j) lane[j] = v[i + j] > lane[j] ? v[i + j] : lane[j];
  float mx = lane[0];
  for (size_t j = 1; j < kLanes; ++j) mx = lane[j] > mx ? lane[j] : mx;
  for (; i < n; ++i) mx = v[i] > mx ? v[i] : mx;
  return mx;
}

// Index of the first maximum: row_max, then one pass for its first position.
int32_t argmax(std::span<const float> v) {
  const float mx = row_max(v);
  for (size_t k = 0; k < v.size(); ++k)
    if (v[k] == mx) return static_cast<int32_t>(k);
  return 0;  // every value NaN or -inf below the start value: the first token, as the scan gave
}
}  // namespace

namespace {
// Four lanes through GCC/Clang vector extensions (SSE2 at the baseline ISA): the compiler did
// not vectorise the scalar form. Selects instead of branches; NaN compares false and gives 0.
typedef float F4 __attribute__((vector_size(16)));
typedef int32_t I4 __attribute__((vector_size(16)));
inline F4 exp_nonpos4(F4 x0) {
  const F4 lo = {-87.0f, -87.0f, -87.0f, -87.0f}, zero = {0, 0, 0, 0};
  const I4 ok = x0 >= lo;
  F4 x = ok ? x0 : lo;
  x = x > zero ? zero : x;
  // x = k ln2 + r: k by the 1.5 * 2^23 rounding trick (no SSE4.1 round instruction needed).
  const F4 kf = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const F4 r = (x - kf * 0.693145751953125f) - kf * 1.428606765330187045e-06f;
  F4 q = r * (1.0f / 5040.0f) + 1.0f / 720.0f;
  q = q * r + 1.0f / 120.0f;
  q = q * r + 1.0f / 24.0f;
  q = q * r + 1.0f / 6.0f;
  q = q * r + 0.5f;
  q = q * r + 1.0f;
  q = q * r + 1.0f;
  const I4 bits = (__builtin_convertvector(kf, I4) + 127) << 23;
  const F4 e = q * (F4)bits;
  return ok ? e : zero;
}
inline float exp_nonpos_inl(float x) {
  const F4 v = {x, x, x, x};
  return exp_nonpos4(v)[0];
}
// p[i] = exp((w[i] - mx) * inv_t) for the whole row.
void exp_row(const float* w, float mx, float inv_t, float* p, int32_t V) {
  int32_t i = 0;
  for (; i + 4 <= V; i += 4) {
    F4 x;
    std::memcpy(&x, w + i, sizeof x);
    const F4 e = exp_nonpos4((x - mx) * inv_t);
    std::memcpy(p + i, &e, sizeof e);
  }
  for (; i < V; ++i) p[i] = exp_nonpos_inl((w[i] - mx) * inv_t);
}
// Sums of p over blocks of kSumBlock entries (into out when given) and their total: 8
// independent lanes per block, so the loop vectorises and the result is the same on every machine.
constexpr int32_t kSumBlock = 64;
double block_sums(const float* p, int32_t V, double* out) {
  double total = 0;
  for (int32_t i0 = 0, b = 0; i0 < V; i0 += kSumBlock, ++b) {
    const int32_t i1 = std::min(V, i0 + kSumBlock);
    double lane[8] = {};
    int32_t i = i0;
    for (; i + 8 <= i1; i += 8)
      for (int j = 0; j < 8; ++j) lane[j] += p[i + j];
    for (; i < i1; ++i) lane[0] += p[i];
    const double s = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
    if (out) out[b] = s;
    total += s;
  }
  return total;
}
}  // namespace

SampleResult Sampler::sample(std::span<const float> logits, std::span<const int32_t> generated) {
  const int32_t V = (int32_t)logits.size();
  SampleResult r{};
  const bool penalties = (p_.frequency_penalty != 0 || p_.presence_penalty != 0) && !generated.empty();
  const bool want_lp = p_.compute_logprob || p_.top_logprobs > 0;
  if (p_.temperature <= 0 && !penalties && !want_lp) {
    // Greedy without penalties or logprobs (the common case per token): no copy of the row.
    r.token = argmax(logits);
    return r;
  }
  work_.assign(logits.begin(), logits.end());
  if (penalties) {
    std::unordered_map<int32_t, int> counts;
    for (int32_t t : generated) counts[t]++;
    for (auto& [t, c] : counts)
      if (t >= 0 && t < V) work_[t] -= p_.frequency_penalty * (float)c + p_.presence_penalty;
  }
  std::vector<float> lp;
  if (want_lp) log_softmax(logits, lp);
  if (p_.temperature <= 0) {
    r.token = argmax(work_);
  } else if (p_.top_k > 0 && p_.top_k < V) {
    r.token = sample_top_k(V);
  } else {
    r.token = sample_full(V);
  }
  r.logprob = want_lp ? lp[r.token] : 0.0f;
  if (p_.top_logprobs > 0) {
    int k = std::min(p_.top_logprobs, (int)V);
    std::vector<int32_t> ix(V);
    std::iota(ix.begin(), ix.end(), 0);
    std::partial_sort(ix.begin(), ix.begin() + k, ix.end(), [&](int32_t a, int32_t b) { return lp[a] > lp[b] || (lp[a] == lp[b] && a < b); });
    for (int i = 0; i < k; ++i) r.top.push_back({ix[i], lp[ix[i]]});
  }
  return r;
}

// Top-k: the k best (ties by id) sorted best first, softmax over them, the pick scanned in that
// order.
int32_t Sampler::sample_top_k(int32_t V) {
  idx_.resize(V);
  std::iota(idx_.begin(), idx_.end(), 0);
  int32_t n = p_.top_k;
  std::partial_sort(idx_.begin(), idx_.begin() + n, idx_.end(),
                    [&](int32_t a, int32_t b) { return work_[a] > work_[b] || (work_[a] == work_[b] && a < b); });
  std::vector<double> prob(n);
  double mx = work_[idx_[0]] / p_.temperature, sum = 0;
  for (int32_t i = 0; i < n; ++i) sum += prob[i] = std::exp(work_[idx_[i]] / p_.temperature - mx);
  for (auto& v : prob) v /= sum;
  if (p_.min_p > 0) {
    double thr = prob[0] * p_.min_p;
    int32_t k = 1;
    while (k < n && prob[k] >= thr) ++k;
    n = k;
  }
  if (p_.top_p < 1.0f) {
    double cum = 0;
    int32_t k = 0;
    while (k < n) {
      cum += prob[k++];
      if (cum >= p_.top_p) break;
    }
    n = std::max(k, 1);
  }
  double total = 0;
  for (int32_t i = 0; i < n; ++i) total += prob[i];
  double u = std::uniform_real_distribution<double>(0.0, total)(rng_);
  for (int32_t i = 0; i < n; ++i) {
    u -= prob[i];
    if (u <= 0) return idx_[i];
  }
  return idx_[n - 1];
}

// Temperature over the whole vocabulary, then min-p and top-p, without sorting the row: the
// unnormalised probabilities exp((x - max) / T) come from one vectorised pass; min-p keeps
// p >= min_p (the best token has p = 1); top-p keeps the best tokens (by p, ties by id) whose mass
// first reaches top_p of the whole row's, found through a 2048-bucket histogram of p's float bits
// (monotone in p) with only the bucket where the mass crosses sorted. The kept tokens are then
// scanned in id order for the draw. (Until the fourth session the whole row was sorted for every
// token: about 500 us on a 32,000-token vocabulary, now about 60; sgl-sampler-bench.)
int32_t Sampler::sample_full(int32_t V) {
  const float* w = work_.data();
  const float mx = row_max(work_);
  if (!(mx > -std::numeric_limits<float>::infinity())) return argmax(work_);  // all -inf or NaN
  prob_.resize(V);
  float* p = prob_.data();
  const float inv_t = 1.0f / p_.temperature;
  exp_row(w, mx, inv_t, p, V);
  double sum = 0;  // the whole row's mass (top-p is a share of it, before min-p, as before)
  if (p_.top_p < 1.0f) sum = block_sums(p, V, nullptr);
  if (p_.min_p > 0) {
    const float pmin = p_.min_p;  // the best token has p = 1
    for (int32_t i = 0; i < V; ++i) p[i] = p[i] >= pmin ? p[i] : 0.0f;
  }
  if (p_.top_p < 1.0f) {
    const double target = (double)p_.top_p * sum;
    constexpr int kBuckets = 2048;
    thread_local std::vector<double> mass;
    mass.assign(kBuckets, 0.0);
    auto bucket = [](float x) {
      uint32_t b;
      std::memcpy(&b, &x, sizeof b);
      return (int)(b >> 19);  // x in [0, 1]: b <= 0x3f800000, so the bucket is below 2048
    };
    for (int32_t i = 0; i < V; ++i) mass[bucket(p[i])] += p[i];
    double cum = 0;
    int kb = kBuckets - 1;
    for (; kb > 0; --kb) {
      if (cum + mass[kb] >= target) break;
      cum += mass[kb];
    }
    if (kb > 0) {
      // The crossing bucket, best first (ties by id): keep tokens until the mass reaches target;
      // the rest of it and every lower bucket are dropped.
      idx_.clear();
      for (int32_t i = 0; i < V; ++i)
        if (bucket(p[i]) == kb) idx_.push_back(i);
      std::sort(idx_.begin(), idx_.end(), [&](int32_t a, int32_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
      size_t k = 0;
      while (k < idx_.size()) {
        cum += p[idx_[k++]];
        if (cum >= target) break;
      }
      for (size_t j = k; j < idx_.size(); ++j) p[idx_[j]] = 0.0f;
      for (int32_t i = 0; i < V; ++i) p[i] = bucket(p[i]) < kb ? 0.0f : p[i];
    }
  }
  // The draw over the kept tokens (p > 0) in id order: block sums first, then a scan inside the
  // block where the draw lands.
  thread_local std::vector<double> bsum;
  bsum.resize((V + kSumBlock - 1) / kSumBlock);
  const double total = block_sums(p, V, bsum.data());
  double u = std::uniform_real_distribution<double>(0.0, total)(rng_);
  int32_t last = -1;
  for (size_t b = 0; b < bsum.size(); ++b) {
    if (bsum[b] <= 0) continue;
    const int32_t i0 = (int32_t)b * kSumBlock, i1 = std::min(V, i0 + kSumBlock);
    if (u > bsum[b]) {
      u -= bsum[b];
      for (int32_t i = i1 - 1; i >= i0; --i)
        if (p[i] > 0) {
          last = i;
          break;
        }
      continue;
    }
    for (int32_t i = i0; i < i1; ++i)
      if (p[i] > 0) {
        last = i;
        u -= p[i];
        if (u <= 0) return i;
      }
  }
  return last >= 0 ? last : argmax(work_);
}

float exp_nonpos(float x) { return exp_nonpos_inl(x); }

double sum_exp_shifted(std::span<const float> row, float mx) {
  float buf[1024];
  double total = 0;
  for (size_t i = 0; i < row.size(); i += 1024) {
    const int32_t n = (int32_t)std::min<size_t>(1024, row.size() - i);
    exp_row(row.data() + i, mx, 1.0f, buf, n);
    total += block_sums(buf, n, nullptr);
  }
  return total;
}

bool StopChecker::is_stop_token(int32_t id) const {
  return std::find(ids_.begin(), ids_.end(), id) != ids_.end();
}

bool StopChecker::feed(const std::string& piece, size_t* keep) {
  size_t old = text_.size();
  text_ += piece;
  size_t best = std::string::npos;
  for (auto& s : strs_) {
    if (s.empty()) continue;
    // Only a match overlapping the new bytes can be new.
    size_t from = old >= s.size() ? old - s.size() + 1 : 0;
    size_t k = text_.find(s, from);
    if (k != std::string::npos) best = std::min(best, k);
  }
  if (best == std::string::npos) return false;
  *keep = best;
  return true;
}

size_t StopChecker::held_back() const {
  size_t h = 0;
  for (auto& s : strs_)
    for (size_t n = std::min(s.size() - (s.empty() ? 0 : 1), text_.size()); n > h; --n)
      if (text_.compare(text_.size() - n, n, s, 0, n) == 0) {
        h = n;
        break;
      }
  return h;
}

}  // namespace sgl
