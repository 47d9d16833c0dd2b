// The token-level scheduler: continuous batching of requests over one Engine, with the radix
// prefix cache, chunked prefill, admission by a token budget, retraction when the KV pool runs
// out, and scheduling policies. Text-free: requests carry token ids, and each generating request's
// owner turns a logits row into its next token (sampling, stops and constraints stay with the
// owner, i.e. the program runtime's model backend).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine.h"
#include "radix_cache.h"
#include "req_slot_table.h"
#include "slot_allocator.h"

namespace sgl::serve {

enum class RequestKind {
  Generate,     // prompt -> tokens chosen by the owner, one per step
  PrefillOnly,  // commit the prompt to the prefix cache, generate nothing (fork priming)
  Score,        // log-probabilities of each continuation after the prompt (select)
};

enum class Finish { None, Stop, Length, Abort };
const char* finish_name(Finish f);  // "", "stop", "length", "abort"

// What an owner decides for one logits row.
struct NextToken {
  int32_t token = -1;            // >= 0: append this token to the output
  Finish finish = Finish::None;  // not None: the request ends, after appending `token` if any
};

struct Request;
// Called only from inside Scheduler::step(), on the scheduler's thread, with the logits row
// (vocab_size floats, valid during the call) of the request's latest position; `r.output` holds
// the tokens chosen so far. Must return a token or a finish; must not call the scheduler.
using TokenOwner = std::function<NextToken(std::span<const float> logits, const Request& r)>;

// Argmax; ends with Stop (token not appended) on `eos_id` when it is >= 0.
TokenOwner greedy_owner(int32_t eos_id = -1);

// One request. The caller creates and owns it; it must stay alive and at the same address from
// submit() until step() reports it done. The caller writes the inputs before submit() and touches
// nothing until then; the scheduler writes only the results.
struct Request {
  // ---- inputs ----
  RequestKind kind = RequestKind::Generate;
  std::vector<int32_t> prompt;  // token ids, BOS included; not empty
  // Generate: a hard cap on output tokens (Finish::Length), and what admission reserves KV for
  // (times SchedulerOptions::new_token_ratio). 0 makes a Generate request PrefillOnly.
  int32_t max_new_tokens = 128;
  TokenOwner owner;                                 // Generate; empty means greedy_owner()
  std::vector<std::vector<int32_t>> continuations;  // Score: each scored after the whole prompt

  // ---- results ----
  std::vector<int32_t> output;  // Generate: the chosen tokens
  // Score: logprobs[i][j] = log p(continuations[i][j] | prompt, continuations[i][0..j)).
  std::vector<std::vector<float>> logprobs;
  Finish finish = Finish::None;
  int32_t prompt_tokens = 0;      // prompt.size()
  int32_t cached_tokens = 0;      // prompt tokens found in the prefix cache at first admission
  int32_t completion_tokens = 0;  // output.size()
  int32_t retractions = 0;        // times sent back to the queue for lack of KV slots
  std::string error;              // set with Finish::Abort: why the request could not be served

  // {"prompt_tokens","cached_tokens","completion_tokens","finish_reason","retractions"[,"error"]}
  std::string meta_json() const;
};

// log p(token | row) for one logits row: what log_softmax(row)[token] gives, to about 1e-6, with a
// vectorisable float exp (Score requests take one per scored token over the whole vocabulary).
float token_logprob(std::span<const float> row, int32_t token);

enum class SchedulePolicy { Lpm, Fcfs, DfsWeight };
// "lpm" | "fcfs" | "dfs-weight"; false for anything else.
bool parse_schedule_policy(const std::string& s, SchedulePolicy* out);

struct SchedulerOptions {
  int32_t max_total_tokens = 0;      // --max-total-tokens: KV slots used (0: the engine's pool)
  int32_t page_size = 1;             // --page-size
  bool disable_radix_cache = false;  // --disable-radix-cache
  int32_t chunked_prefill_size =
      0;  // --chunked-prefill-size: prefill tokens per step (<= 0: no limit)
  int32_t max_running_requests = 64;            // --max-running-requests
  SchedulePolicy policy = SchedulePolicy::Lpm;  // --schedule-policy
  int32_t lpm_fcfs_threshold = 128;  // lpm orders by prefix only while the queue is this short
  // lpm / dfs-weight: a waiting request that shares at least this many uncached tokens with one
  // admitted earlier in the same step (or still prefilling) waits until that prefix is cached.
  int32_t in_batch_prefix_threshold = 32;
  double new_token_ratio = 0.7;   // share of max_new_tokens reserved in the admission budget
  bool check_invariants = false;  // run check_invariants() after every step (tests)
};

// Engine-wide counters (SGLang's cache_hit_rate and friends).
struct SchedulerStats {
  int64_t requests_finished = 0, forwards = 0, retractions = 0, evicted_tokens = 0;
  int64_t prompt_tokens = 0;  // submitted prompt tokens
  int64_t reused_tokens = 0;  // tokens taken from the prefix cache at admission (re-admissions too)
  int64_t prefill_tokens = 0;  // tokens computed by prefill chunks and score sequences
  int64_t decode_tokens = 0;   // tokens computed by decode steps
  int64_t max_batch_seqs = 0;  // most sequences in one forward
  double hit_rate() const {    // reused / (reused + prefill computed)
    int64_t d = reused_tokens + prefill_tokens;
    return d ? (double)reused_tokens / (double)d : 0.0;
  }
};

class Scheduler {
 public:
  // The engine must outlive the scheduler, and nobody else may allocate in its KvPool meanwhile.
  Scheduler(Engine& engine, const SchedulerOptions& o);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request (see Request for ownership). Invalid requests (empty prompt, token ids out
  // of the vocabulary, longer than the context or the whole pool) finish with Abort and `error`
  // at the next step().
  void submit(Request* r);
  // True when nothing is queued or running.
  bool idle() const;
  // One scheduling round: admits, runs at most one Engine::forward, and appends the requests that
  // finished to `done`. Throws only for internal failures (engine errors included).
  void step(std::vector<Request*>& done);
  // step() until idle().
  void run_until_idle(std::vector<Request*>& done);

  const SchedulerStats& stats() const { return stats_; }
  // The counters plus cache state and options, as one JSON object.
  std::string stats_json() const;
  // Cache and allocator checks, plus: every page is free, cached, or owned by one running request
  // (never two of these); when idle, free + cached == capacity. Throws std::logic_error.
  void check_invariants() const;

  const RadixCache& cache() const { return *cache_; }
  const SlotAllocator& allocator() const { return *alloc_; }
  const SchedulerOptions& options() const { return opt_; }

 private:
  struct Live;
  enum class Phase;
  void order_waiting();
  bool ensure_free_pages(int32_t pages);
  // Undoes an admission that cannot go on (over budget, or no slots): unlocks the matched
  // prefix, frees slots allocated past it, releases the request's row.
  void unadmit(Live* l);
  void retract(Live* l);
  void commit(Live& l, bool release);
  void finish(Live* l, Finish f, std::vector<Request*>& done, const std::string& error = {});
  bool apply_next(Live& l, NextToken nt, std::vector<Request*>& done);
  int32_t reserve_of(const Live& l) const;

  Engine& engine_;
  SchedulerOptions opt_;
  std::unique_ptr<SlotAllocator> alloc_;
  std::unique_ptr<RadixCache> cache_;
  std::unique_ptr<ReqSlotTable> table_;
  std::vector<std::unique_ptr<Live>> live_;  // every submitted, unfinished request
  std::vector<Live*> waiting_, running_;
  std::vector<Live*> rejected_;  // invalid at submit, reported at the next step
  uint64_t next_seq_ = 0;
  SchedulerStats stats_;
  std::vector<float> logits_;
};

}  // namespace sgl::serve
