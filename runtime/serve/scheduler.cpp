// Scheduler: admission, chunked prefill, decode, score, retraction and commit to the radix cache;
// one Engine::forward per step (SGLang's scheduler loop, reduced to its token-level core).
#include "scheduler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "sampler.h"

namespace sgl::serve {

const char* finish_name(Finish f) {
  switch (f) {
    case Finish::None:
      return "";
    case Finish::Stop:
      return "stop";
    case Finish::Length:
      return "length";
    case Finish::Abort:
      return "abort";
  }
  return "";
}

TokenOwner greedy_owner(int32_t eos_id) {
  return [eos_id](std::span<const float> logits, const Request&) {
    int32_t t = (int32_t)(std::max_element(logits.begin(), logits.end()) - logits.begin());
    if (eos_id >= 0 && t == eos_id) return NextToken{-1, Finish::Stop};
    return NextToken{t, Finish::None};
  };
}

std::string Request::meta_json() const {
  nlohmann::json j = {{"prompt_tokens", prompt_tokens},
                      {"cached_tokens", cached_tokens},
                      {"completion_tokens", completion_tokens},
                      {"finish_reason", finish_name(finish)},
                      {"retractions", retractions}};
  if (!error.empty()) j["error"] = error;
  return j.dump();
}

// log p(token) = x[token] - logsumexp(x) over one logits row (sums in double: 32k terms).
float token_logprob(std::span<const float> row, int32_t token) {
  float mx = -INFINITY;
  for (float v : row) mx = std::max(mx, v);
  return row[(size_t)token] - (mx + (float)std::log(sum_exp_shifted(row, mx)));
}

bool parse_schedule_policy(const std::string& s, SchedulePolicy* out) {
  if (s == "lpm")
    *out = SchedulePolicy::Lpm;
  else if (s == "fcfs")
    *out = SchedulePolicy::Fcfs;
  else if (s == "dfs-weight")
    *out = SchedulePolicy::DfsWeight;
  else
    return false;
  return true;
}

enum class Scheduler::Phase { Waiting, Prefill, Decode, Score };

// Scheduler-private state of one request. Slots of positions [0, n_tree) belong to the cache
// (pinned by the lock on `node`); [n_tree, slots.size()) belong to the request. Every position
// below slots.size() has its K/V written (after the forward that allocated it).
struct Scheduler::Live {
  Request* r = nullptr;
  uint64_t seq = 0;  // arrival order (kept across retraction)
  RequestKind kind = RequestKind::Generate;
  TokenOwner owner;
  std::vector<int32_t> tokens;  // prompt, then the output so far
  Phase phase = Phase::Waiting;
  int32_t row = -1;  // ReqSlotTable row while running
  RadixNode* node = nullptr;
  size_t n_tree = 0;
  bool admitted_once = false, done = false;
  std::string error;  // set at submit for a request rejected then
  // This step's work.
  size_t chunk_start = 0, chunk_len = 0;
  size_t score_base = 0;
  std::vector<std::vector<int32_t>> score_toks, score_slots;

  size_t prompt_len() const { return r->prompt.size(); }
  // Positions whose K/V must exist before the request moves on (decode, finish or score).
  size_t target() const { return kind == RequestKind::Score ? prompt_len() - 1 : tokens.size(); }
  // How much of `tokens` a cache match may cover: a Generate request must compute at least its
  // last token to get logits.
  size_t match_limit() const {
    return kind == RequestKind::Generate ? tokens.size() - 1 : target();
  }
};

Scheduler::Scheduler(Engine& engine, const SchedulerOptions& o) : engine_(engine), opt_(o) {
  if (opt_.max_running_requests < 1)
    throw std::invalid_argument("--max-running-requests must be at least 1");
  alloc_ = std::make_unique<SlotAllocator>(engine.kv_pool(), opt_.page_size, opt_.max_total_tokens);
  if (alloc_->capacity() == 0) throw std::invalid_argument("the KV pool holds no whole page");
  cache_ = std::make_unique<RadixCache>(*alloc_, opt_.disable_radix_cache);
  table_ = std::make_unique<ReqSlotTable>(opt_.max_running_requests);
}

Scheduler::~Scheduler() {
  // Give running requests' slots back before the cache and allocator go.
  for (Live* l : running_) commit(*l, true);
  cache_.reset();
  alloc_.reset();
}

void Scheduler::submit(Request* r) {
  auto l = std::make_unique<Live>();
  l->r = r;
  l->seq = next_seq_++;
  l->kind = r->kind;
  if (l->kind == RequestKind::Generate && r->max_new_tokens == 0)
    l->kind = RequestKind::PrefillOnly;
  l->owner = r->owner ? r->owner : greedy_owner();
  l->tokens = r->prompt;
  r->output.clear();
  r->logprobs.assign(l->kind == RequestKind::Score ? r->continuations.size() : 0, {});
  r->finish = Finish::None;
  r->error.clear();
  r->prompt_tokens = (int32_t)r->prompt.size();
  r->cached_tokens = r->completion_tokens = r->retractions = 0;
  stats_.prompt_tokens += (int64_t)r->prompt.size();

  const ModelConfig& c = engine_.config();
  int32_t pages = alloc_->capacity() / alloc_->page_size();
  size_t P = r->prompt.size();
  auto bad_ids = [&](const std::vector<int32_t>& v) {
    return std::any_of(v.begin(), v.end(), [&](int32_t t) { return t < 0 || t >= c.vocab_size; });
  };
  std::string err;
  if (P == 0)
    err = "empty prompt";
  else if (bad_ids(r->prompt))
    err = "prompt token id out of the vocabulary";
  else if (r->max_new_tokens < 0)
    err = "max_new_tokens is negative";
  else if (l->kind == RequestKind::Generate &&
           (P >= (size_t)c.max_seq_len || alloc_->pages_needed(0, (int32_t)P + 1) > pages))
    err = "prompt of " + std::to_string(P) + " tokens leaves no room to generate (context " +
          std::to_string(c.max_seq_len) + ", KV pool " + std::to_string(alloc_->capacity()) +
          " tokens)";
  else if (l->kind == RequestKind::PrefillOnly &&
           (P > (size_t)c.max_seq_len || alloc_->pages_needed(0, (int32_t)P) > pages))
    err = "prompt of " + std::to_string(P) + " tokens does not fit the context or the KV pool";
  else if (l->kind == RequestKind::Score) {
    size_t a = (P - 1) / alloc_->page_size() * alloc_->page_size();
    int64_t need = alloc_->pages_needed(0, (int32_t)P);
    for (auto& cont : r->continuations) {
      if (bad_ids(cont)) err = "continuation token id out of the vocabulary";
      if (P + cont.size() > (size_t)c.max_seq_len) err = "prompt + continuation exceed the context";
      if (!cont.empty())
        need += alloc_->pages_needed((int32_t)a, (int32_t)(P - a + cont.size() - 1));
    }
    if (err.empty() && need > pages) err = "prompt and continuations do not fit the KV pool";
  }
  if (!err.empty()) {
    l->error = err;
    rejected_.push_back(l.get());
  } else {
    waiting_.push_back(l.get());
  }
  live_.push_back(std::move(l));
}

bool Scheduler::idle() const {
  return live_.empty();
}

int32_t Scheduler::reserve_of(const Live& l) const {
  // Tokens this request may still need: the rest of its prefill plus its expected output.
  int64_t n = (int64_t)l.target() - (int64_t)table_->slots(l.row).size();
  if (l.kind == RequestKind::Generate) {
    int64_t left = (int64_t)l.r->max_new_tokens - (int64_t)l.r->output.size();
    n += (int64_t)std::ceil((double)std::max<int64_t>(left, 0) * opt_.new_token_ratio);
  } else if (l.kind == RequestKind::Score) {
    for (auto& c : l.r->continuations) n += (int64_t)c.size() + alloc_->page_size();
  }
  return (int32_t)std::max<int64_t>(n, 0);
}

bool Scheduler::ensure_free_pages(int32_t pages) {
  if (alloc_->free_pages() >= pages) return true;
  size_t want = (size_t)(pages - alloc_->free_pages()) * (size_t)alloc_->page_size();
  stats_.evicted_tokens += (int64_t)cache_->evict(want);
  return alloc_->free_pages() >= pages;
}

void Scheduler::commit(Live& l, bool release) {
  std::vector<int32_t>& s = table_->slots(l.row);
  size_t n = s.size();
  std::span<const int32_t> ss(s);
  InsertResult ir = cache_->insert(std::span<const int32_t>(l.tokens).first(n), ss);
  if (ir.dup_end > l.n_tree) alloc_->free(ss.subspan(l.n_tree, ir.dup_end - l.n_tree));
  if (release) {
    size_t from = std::max(ir.taken_end, l.n_tree);
    if (n > from) alloc_->free(ss.subspan(from));
    cache_->unlock(l.node);
    table_->release(l.row);
    l.row = -1;
    l.node = nullptr;
    l.n_tree = 0;
  } else if (ir.taken_end > l.n_tree) {
    // Point the request at the cache's copy of its prefix (different slots where another
    // request had cached the same tokens first) and move the lock down to it.
    PrefixMatch m = cache_->match_prefix(std::span<const int32_t>(l.tokens).first(ir.taken_end));
    if (m.slots.size() != ir.taken_end)
      throw std::logic_error("scheduler: committed prefix not found");
    std::copy(m.slots.begin(), m.slots.end(), s.begin());
    cache_->lock(m.node);
    cache_->unlock(l.node);
    l.node = m.node;
    l.n_tree = ir.taken_end;
  }
}

void Scheduler::finish(Live* l, Finish f, std::vector<Request*>& done, const std::string& error) {
  if (l->row >= 0) commit(*l, true);
  Request& r = *l->r;
  r.finish = f;
  r.error = error;
  r.completion_tokens = (int32_t)r.output.size();
  l->done = true;
  std::erase(running_, l);
  std::erase(waiting_, l);
  ++stats_.requests_finished;
  done.push_back(&r);
}

void Scheduler::unadmit(Live* l) {
  cache_->unlock(l->node);
  std::vector<int32_t>& s = table_->slots(l->row);
  if (s.size() > l->n_tree) alloc_->free(std::span<const int32_t>(s).subspan(l->n_tree));
  table_->release(l->row);
  l->row = -1;
  l->node = nullptr;
  l->n_tree = 0;
}

void Scheduler::retract(Live* l) {
  commit(*l, true);  // what it computed stays cached (evictable); it recomputes the rest later
  l->phase = Phase::Waiting;
  ++l->r->retractions;
  ++stats_.retractions;
  std::erase(running_, l);
  waiting_.push_back(l);
}

bool Scheduler::apply_next(Live& l, NextToken nt, std::vector<Request*>& done) {
  Request& r = *l.r;
  if (nt.token >= engine_.config().vocab_size) {
    finish(&l, Finish::Abort, done,
           "owner chose token " + std::to_string(nt.token) + " outside the vocabulary");
    return true;
  }
  if (nt.token >= 0) {
    r.output.push_back(nt.token);
    l.tokens.push_back(nt.token);
  } else if (nt.finish == Finish::None) {
    finish(&l, Finish::Abort, done, "owner returned neither a token nor a finish (internal error)");
    return true;
  }
  Finish f = nt.finish;
  if (f == Finish::None && (int64_t)r.output.size() >= r.max_new_tokens) f = Finish::Length;
  if (f == Finish::None && l.tokens.size() >= (size_t)engine_.config().max_seq_len)
    f = Finish::Length;
  if (f == Finish::None) return false;
  finish(&l, f, done);
  return true;
}

void Scheduler::order_waiting() {
  auto by_seq = [](const Live* a, const Live* b) { return a->seq < b->seq; };
  std::stable_sort(waiting_.begin(), waiting_.end(), by_seq);
  if (opt_.policy == SchedulePolicy::Fcfs || cache_->disabled()) return;
  if (opt_.policy == SchedulePolicy::Lpm) {
    if ((int32_t)waiting_.size() > opt_.lpm_fcfs_threshold) return;  // matching costs too much
    std::map<const Live*, size_t> len;
    for (Live* l : waiting_)
      len[l] = cache_->peek(std::span<const int32_t>(l->tokens).first(l->match_limit()));
    std::stable_sort(waiting_.begin(), waiting_.end(),
                     [&](const Live* a, const Live* b) { return len[a] > len[b]; });
    return;
  }
  // dfs-weight: walk the tree depth first, heavier subtrees (more waiting requests) first, and
  // emit the requests whose cached prefix ends at each node.
  std::map<const RadixNode*, std::vector<Live*>> at;
  std::map<const RadixNode*, int64_t> weight;
  for (Live* l : waiting_) {
    const RadixNode* d = nullptr;
    cache_->peek(std::span<const int32_t>(l->tokens).first(l->match_limit()), &d);
    at[d].push_back(l);
    for (const RadixNode* n = d; n; n = n->parent) ++weight[n];
  }
  std::vector<Live*> out;
  std::vector<const RadixNode*> stack = {cache_->root()};
  while (!stack.empty()) {
    const RadixNode* n = stack.back();
    stack.pop_back();
    auto it = at.find(n);
    if (it != at.end()) out.insert(out.end(), it->second.begin(), it->second.end());
    std::vector<const RadixNode*> kids;
    for (auto& [k, c] : n->children)
      if (weight.count(c.get())) kids.push_back(c.get());
    // Lightest pushed first so the heaviest is popped first.
    std::stable_sort(kids.begin(), kids.end(),
                     [&](const RadixNode* a, const RadixNode* b) { return weight[a] < weight[b]; });
    for (const RadixNode* k : kids) stack.push_back(k);
  }
  waiting_ = std::move(out);
}

void Scheduler::step(std::vector<Request*>& done) {
  size_t done_before = done.size();
  for (Live* l : rejected_) {
    l->done = true;
    l->r->finish = Finish::Abort;
    l->r->error = l->error;
    ++stats_.requests_finished;
    done.push_back(l->r);
  }
  rejected_.clear();
  const int32_t V = engine_.config().vocab_size;

  // 1. Decode: one slot for every request in decode; retract (fewest generated tokens first)
  //    while the pool cannot provide them even after evicting.
  std::vector<Live*> decode;
  for (Live* l : running_)
    if (l->phase == Phase::Decode) decode.push_back(l);
  bool retracted = false;
  for (;;) {
    int32_t need = 0;
    for (Live* l : decode) need += alloc_->pages_needed((int32_t)table_->slots(l->row).size(), 1);
    if (ensure_free_pages(need)) break;
    if (running_.size() <= 1) {  // one request alone outgrew the pool
      finish(decode[0], Finish::Abort, done, "the KV pool is too small for this request");
      decode.clear();
      break;
    }
    Live* victim =
        *std::min_element(running_.begin(), running_.end(), [](const Live* a, const Live* b) {
          if (a->r->output.size() != b->r->output.size())
            return a->r->output.size() < b->r->output.size();
          if (a->prompt_len() != b->prompt_len()) return a->prompt_len() > b->prompt_len();
          return a->seq > b->seq;
        });
    retract(victim);
    std::erase(decode, victim);
    retracted = true;
  }
  for (Live* l : decode)
    if (!alloc_->extend(table_->slots(l->row), 1))
      throw std::logic_error("scheduler: decode slot vanished");

  // 2. Prefill work, within the chunk budget: continuing prefills, scores, then admissions.
  int64_t budget = opt_.chunked_prefill_size > 0 ? opt_.chunked_prefill_size : INT64_MAX;
  std::vector<Live*> prefills, scores;
  auto extend = [&](Live* l, size_t n) {
    std::vector<int32_t>& s = table_->slots(l->row);
    return ensure_free_pages(alloc_->pages_needed((int32_t)s.size(), (int32_t)n)) &&
           alloc_->extend(s, (int32_t)n);
  };
  auto schedule_chunk = [&](Live* l) {
    std::vector<int32_t>& s = table_->slots(l->row);
    size_t n = std::min<size_t>(l->target() - s.size(), (size_t)std::max<int64_t>(budget, 0));
    if (n == 0 || !extend(l, n)) return false;
    l->chunk_start = s.size() - n;
    l->chunk_len = n;
    budget -= (int64_t)n;
    prefills.push_back(l);
    return true;
  };
  auto prepare_score = [&](Live* l) {
    const std::vector<int32_t>& base = table_->slots(l->row);
    const std::vector<int32_t>& prompt = l->r->prompt;
    size_t P = prompt.size(), a = (P - 1) / alloc_->page_size() * alloc_->page_size();
    int32_t need = 0;
    for (auto& c : l->r->continuations)
      if (!c.empty()) need += alloc_->pages_needed((int32_t)a, (int32_t)(P - a + c.size() - 1));
    if (!ensure_free_pages(need)) return false;
    // Each continuation recomputes the prompt from the last page boundary (a partial page cannot
    // be shared by sequences that write different tokens into it) and writes its own slots.
    l->score_base = a;
    l->score_toks.assign(l->r->continuations.size(), {});
    l->score_slots.assign(l->r->continuations.size(), {});
    for (size_t i = 0; i < l->r->continuations.size(); ++i) {
      const auto& c = l->r->continuations[i];
      if (c.empty()) continue;
      auto& t = l->score_toks[i];
      t.assign(prompt.begin() + (long)a, prompt.end());
      t.insert(t.end(), c.begin(), c.end() - 1);
      auto& s = l->score_slots[i];
      s.assign(base.begin(), base.begin() + (long)a);
      alloc_->extend(s, (int32_t)t.size());
      budget -= (int64_t)t.size();
    }
    scores.push_back(l);
    return true;
  };
  for (Live* l : running_)
    if (l->phase == Phase::Prefill && budget > 0) schedule_chunk(l);
  for (Live* l : running_)
    if (l->phase == Phase::Score) prepare_score(l);

  if (!retracted) {
    order_waiting();
    int64_t reserved = 0;
    for (Live* l : running_) reserved += reserve_of(*l);
    bool defer_shared = opt_.policy != SchedulePolicy::Fcfs && !cache_->disabled() &&
                        opt_.in_batch_prefix_threshold > 0;
    std::vector<Live*> still;
    bool stop = false;
    std::vector<Live*> queue = waiting_;
    for (Live* l : queue) {
      if (stop || (int32_t)running_.size() >= opt_.max_running_requests ||
          table_->free_rows() == 0 || budget <= 0) {
        stop = true;
        still.push_back(l);
        continue;
      }
      std::span<const int32_t> lim = std::span<const int32_t>(l->tokens).first(l->match_limit());
      if (defer_shared) {
        // One request computes a new shared prefix; its siblings wait until it is cached.
        size_t cached = cache_->peek(lim);
        bool defer = false;
        for (Live* o : prefills) {
          size_t ot = o->target(), k = 0;
          while (k < lim.size() && k < ot && lim[k] == o->tokens[k]) ++k;
          if (k >= cached + (size_t)opt_.in_batch_prefix_threshold) defer = true;
        }
        if (defer) {
          still.push_back(l);
          continue;
        }
      }
      PrefixMatch m = cache_->match_prefix(lim);
      cache_->lock(m.node);
      l->row = table_->acquire();
      table_->slots(l->row) = m.slots;
      l->node = m.node;
      l->n_tree = m.slots.size();
      int64_t avail =
          (int64_t)alloc_->free_tokens() + (int64_t)cache_->evictable_tokens() - reserved;
      bool alone = running_.empty() && prefills.empty() && scores.empty() && decode.empty();
      if (!alone && reserve_of(*l) > avail) {  // over the admission budget: wait
        unadmit(l);
        stop = true;
        still.push_back(l);
        continue;
      }
      running_.push_back(l);
      l->phase = Phase::Prefill;
      size_t hit = l->n_tree;
      if (l->target() == hit) {  // nothing to compute
        stats_.reused_tokens += (int64_t)hit;
        if (!l->admitted_once) l->r->cached_tokens = (int32_t)std::min(hit, l->prompt_len());
        l->admitted_once = true;
        if (l->kind == RequestKind::PrefillOnly) {
          finish(l, Finish::Length, done);
        } else {  // Score with its prompt cached
          l->phase = Phase::Score;
          if (!prepare_score(l)) stop = true;
        }
        continue;
      }
      if (!schedule_chunk(l)) {  // no memory even after evicting: back to the queue
        running_.pop_back();
        l->phase = Phase::Waiting;
        unadmit(l);
        stop = true;
        still.push_back(l);
        continue;
      }
      stats_.reused_tokens += (int64_t)hit;
      if (!l->admitted_once) l->r->cached_tokens = (int32_t)std::min(hit, l->prompt_len());
      l->admitted_once = true;
      reserved += reserve_of(*l);
    }
    waiting_ = std::move(still);
  }

  // 3. One forward over everything scheduled.
  std::vector<SeqInput> batch;
  for (Live* l : prefills)
    batch.push_back({std::span<const int32_t>(l->tokens).subspan(l->chunk_start, l->chunk_len),
                     (int32_t)l->chunk_start, table_->slots(l->row), false});
  for (Live* l : scores)
    for (size_t i = 0; i < l->score_toks.size(); ++i)
      if (!l->score_toks[i].empty())
        batch.push_back({l->score_toks[i], (int32_t)l->score_base, l->score_slots[i], true});
  for (Live* l : decode) {
    const std::vector<int32_t>& s = table_->slots(l->row);
    batch.push_back({std::span<const int32_t>(l->tokens).subspan(s.size() - 1, 1),
                     (int32_t)s.size() - 1, s, false});
  }
  if (!batch.empty()) {
    engine_.forward(batch, logits_);
    ++stats_.forwards;
    stats_.max_batch_seqs = std::max<int64_t>(stats_.max_batch_seqs, (int64_t)batch.size());
    for (Live* l : prefills) stats_.prefill_tokens += (int64_t)l->chunk_len;
    for (Live* l : scores)
      for (auto& t : l->score_toks) stats_.prefill_tokens += (int64_t)t.size();
    stats_.decode_tokens += (int64_t)decode.size();
  }

  // 4. Results, rows in batch order.
  size_t row = 0;
  auto row_span = [&](size_t i) {
    return std::span<const float>(logits_.data() + i * (size_t)V, (size_t)V);
  };
  for (Live* l : prefills) {
    std::span<const float> lg = row_span(row++);
    bool complete = table_->slots(l->row).size() == l->target();
    if (!complete) {
      commit(*l, false);  // cache the chunk so far: shareable, and safe from eviction
      continue;
    }
    if (l->kind == RequestKind::PrefillOnly) {
      finish(l, Finish::Length, done);
    } else if (l->kind == RequestKind::Score) {
      commit(*l, false);
      l->phase = Phase::Score;
    } else {
      commit(*l, false);
      l->phase = Phase::Decode;
      apply_next(*l, l->owner(lg, *l->r), done);
    }
  }
  for (Live* l : scores) {
    const auto& conts = l->r->continuations;
    size_t P = l->prompt_len();
    for (size_t i = 0; i < conts.size(); ++i) {
      if (conts[i].empty()) continue;
      size_t first = row + (P - 1 - l->score_base);
      auto& out = l->r->logprobs[i];
      out.resize(conts[i].size());
      for (size_t j = 0; j < conts[i].size(); ++j) out[j] = token_logprob(row_span(first + j), conts[i][j]);
      row += l->score_toks[i].size();
      alloc_->free(std::span<const int32_t>(l->score_slots[i]).subspan(l->score_base));
    }
    l->score_toks.clear();
    l->score_slots.clear();
    finish(l, Finish::Stop, done);
  }
  for (Live* l : decode) apply_next(*l, l->owner(row_span(row++), *l->r), done);

  std::erase_if(live_, [](const std::unique_ptr<Live>& l) { return l->done; });
  // Progress guard: a round that ran nothing and finished nothing would repeat forever.
  if (batch.empty() && done.size() == done_before && !idle()) {
    Live* l = !running_.empty() ? running_.front() : waiting_.front();
    finish(l, Finish::Abort, done, "could not be scheduled: the KV pool is too small");
    std::erase_if(live_, [](const std::unique_ptr<Live>& x) { return x->done; });
  }
  if (opt_.check_invariants) check_invariants();
}

void Scheduler::run_until_idle(std::vector<Request*>& done) {
  while (!idle()) step(done);
}

std::string Scheduler::stats_json() const {
  const char* pol = opt_.policy == SchedulePolicy::Lpm    ? "lpm"
                    : opt_.policy == SchedulePolicy::Fcfs ? "fcfs"
                                                          : "dfs-weight";
  nlohmann::json j = {{"requests_finished", stats_.requests_finished},
                      {"forwards", stats_.forwards},
                      {"prompt_tokens", stats_.prompt_tokens},
                      {"reused_tokens", stats_.reused_tokens},
                      {"prefill_tokens", stats_.prefill_tokens},
                      {"decode_tokens", stats_.decode_tokens},
                      {"computed_tokens", stats_.prefill_tokens + stats_.decode_tokens},
                      {"cache_hit_rate", std::round(stats_.hit_rate() * 10000) / 10000},
                      {"retractions", stats_.retractions},
                      {"evicted_tokens", stats_.evicted_tokens},
                      {"max_batch_seqs", stats_.max_batch_seqs},
                      {"kv_capacity_tokens", alloc_->capacity()},
                      {"kv_free_tokens", alloc_->free_tokens()},
                      {"cached_tokens", cache_->cached_tokens()},
                      {"page_size", alloc_->page_size()},
                      {"radix_cache", !cache_->disabled()},
                      {"schedule_policy", pol}};
  return j.dump();
}

void Scheduler::check_invariants() const {
  auto broken = [](const std::string& what) {
    throw std::logic_error("scheduler invariant broken: " + what);
  };
  std::vector<int32_t> cached = cache_->check_invariants();
  const int32_t P = alloc_->page_size();
  std::map<int32_t, int> owner;  // page -> 0 cached, 1 + i running request i
  for (int32_t s : cached) owner[s / P] = 0;
  for (size_t i = 0; i < running_.size(); ++i) {
    const Live* l = running_[i];
    if (l->row < 0 || !table_->in_use(l->row)) broken("running request without a table row");
    const std::vector<int32_t>& s = table_->slots(l->row);
    if (s.size() < l->n_tree || l->n_tree % P != 0)
      broken("cached prefix longer than the slot list");
    for (size_t k = 0; k < l->n_tree; ++k)
      if (!owner.count(s[k] / P) || owner[s[k] / P] != 0)
        broken("a request's cached prefix is not in the cache");
    for (size_t k = l->n_tree; k < s.size(); k += P) {
      int32_t page = s[k] / P;
      if (owner.count(page)) broken("page " + std::to_string(page) + " owned twice");
      if (alloc_->is_free_slot(s[k])) broken("a request owns a free page");
      owner[page] = 1 + (int)i;
    }
  }
  if ((int64_t)owner.size() * P + alloc_->free_tokens() != alloc_->capacity())
    broken("free + cached + owned pages != capacity (a page leaked)");
  if (running_.empty() &&
      (int64_t)cache_->cached_tokens() + alloc_->free_tokens() != alloc_->capacity())
    broken("idle: free + cached != capacity");
  if (!running_.empty() && cache_->disabled() && cache_->cached_tokens() != 0)
    broken("disabled cache holds slots");
}

}  // namespace sgl::serve
