// The CPU-engine backend (see model_backend.h). Every program request becomes one or more
// token-level serve::Requests on one serve::Scheduler:
//   Gen      -> Generate, whose owner callback runs this file's token logic (constraint mask,
//               min_tokens, sampling, stop ids and strings, streaming); max_tokens 0 -> PrefillOnly
//   Prefill  -> PrefillOnly (fork_begin, the --batch program prefix): later requests find it cached
//   Select   -> one Score request for the conditional log-probabilities of every choice (the
//               prompt up to the shortest token boundary, each choice's remaining tokens as a
//               continuation), plus one Score request per choice alone for `unconditional`
// The scheduler owns the engine's KV pool; this file never allocates K/V itself.
#include "model_backend.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "constraint.h"
#include "constraint_error.h"
#include "engine.h"
#include "engine_factory.h"
#include "gen_jump.h"
#include "model_loader.h"
#include "random_model.h"
#include "sampler.h"
#include "select_scoring.h"
#include "slot_allocator.h"
#include "token_masker.h"
#include "tokenizer.h"
#include "tokenizer_vocab.h"

namespace sgl {
namespace {

using constraint::TokenMasker;
using Clock = std::chrono::steady_clock;

// One program request in flight. Owned by the backend (jobs_) from submit() until step() reports
// its Request; the serve::Requests inside it stay at their addresses while the scheduler has them.
struct Job {
  Request* r = nullptr;
  serve::Request main;                // Gen / Prefill: the one request; Select: conditional scores
  std::vector<serve::Request> parts;  // Select: per-choice scores (unconditional, or the fallback)
  int outstanding = 0;                // serve::Requests submitted and not finished
  std::string error;                  // set when the owner callback failed (reported at the end)
  // ---- gen ----
  bool prefill_only = false;  // max_tokens 0: commit the prompt, generate nothing
  std::vector<int32_t> generated;
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<StopChecker> stops;
  std::unique_ptr<StreamDecoder> dec;
  TokenMasker* masker = nullptr;
  int32_t cstate = 0;
  int32_t prev_cstate = 0;  // the constraint state before the last sampled token
  // Jump-forward: each jump ends the running serve::Request and submits prompt + generated again
  // (the radix cache holds everything computed before the jump).
  bool jump = false;
  bool restart = false;           // `main` ended for a jump: submit it again
  int32_t first_cached = -1;      // cached_tokens of the first admission, kept across restarts
  std::vector<int32_t> no_early_stop;  // ids masked out before min_tokens
  int64_t max_new = 0;
  size_t streamed = 0;
  size_t keep = std::string::npos;  // a stop string completed: the text ends here
  // ---- select ----
  std::vector<std::vector<int32_t>> full;  // prompt + choice tokens, per choice
  std::vector<size_t> lcp;                 // where each choice's own tokens start in full[c]
  // Where choice c's conditional logprobs come from: a Score request, the continuation index in
  // it, and that request's prompt length (logprob j predicts full[c][base + j]).
  struct Source {
    serve::Request* req = nullptr;
    size_t index = 0, base = 0;
  };
  std::vector<Source> cond_src;
  std::vector<serve::Request*> uncond_src;  // per choice, null when the choice has < 2 own tokens
};

class ModelBackend : public Backend {
 public:
  ModelBackend(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tok, const ModelBackendOptions& o)
      : model_(std::move(model)), tok_(std::move(tok)) {
    const ModelConfig& c = model_->config;
    DeviceKind kind = DeviceKind::Cpu;
    std::string why;
    if (!select_device(o.device, &kind, &why)) throw std::runtime_error(why);
    EngineRequest er;
    er.threads = o.threads;
    er.kv_mem_fraction = o.mem_fraction_static;
    er.kv_slots = o.kv_slots;
    const int32_t page = std::max(o.sched.page_size, 1);
    if (er.kv_slots <= 0 && o.sched.max_total_tokens > 0)
      er.kv_slots = (o.sched.max_total_tokens + page - 1) / page * page;
    // The CUDA engine sizes its pool from the free GPU memory when kv_slots is 0.
    if (kind == DeviceKind::Cpu) {
      if (er.kv_slots <= 0 && o.kv_cache_bytes > 0) er.kv_slots = serve::kv_slots_for_bytes(c, o.kv_cache_bytes);
      if (er.kv_slots <= 0) {
        // Room for several full contexts within a 1 GiB budget (f32 K and V per layer).
        int64_t budget = serve::kv_slots_for_bytes(c, int64_t{1} << 30);
        if (budget <= 0) budget = 65536;
        er.kv_slots = static_cast<int32_t>(std::clamp<int64_t>(budget, c.max_seq_len, 65536));
      }
      if (er.kv_slots < page)
        throw std::invalid_argument("the KV cache budget holds " + std::to_string(er.kv_slots) +
                                    " token slots, less than one page of " + std::to_string(page));
    }
    engine_ = make_engine(er, kind, model_, &why);
    if (!engine_) throw std::runtime_error(why);
    sched_ = std::make_unique<serve::Scheduler>(*engine_, o.sched);
    no_cache_ = o.sched.disable_radix_cache;
    jump_forward_ = o.jump_forward && !no_cache_;
  }

  ~ModelBackend() override {
    // The scheduler gives its slots back to the engine's pool: it goes first.
    sched_.reset();
  }

  void submit(Request* r) override {
    ++stats_.requests;
    auto job = std::make_unique<Job>();
    job->r = r;
    try {
      start(*job);
    } catch (const constraint::ConstraintError& e) {
      job->error = e.what();
    } catch (const std::exception& e) {
      job->error = std::string("engine error: ") + e.what();
    }
    if (!job->error.empty()) {
      // Nothing of this job reached the scheduler (start() submits last).
      r->error = job->error;
      ready_.push_back(r);
      return;
    }
    if (job->outstanding == 0) {  // nothing to compute (a prefill without the cache)
      complete(*job);
      ready_.push_back(r);
      return;
    }
    jobs_.emplace(job.get(), std::move(job));
  }

  void step(std::vector<Request*>& done) override {
    done.insert(done.end(), ready_.begin(), ready_.end());
    ready_.clear();
    std::vector<serve::Request*> fin;
    while (done.empty()) {
      if (sched_->idle()) throw std::logic_error("model backend: step() with no request in flight");
      fin.clear();
      auto t0 = Clock::now();
      sched_->step(fin);
      stats_.step_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      for (serve::Request* s : fin) {
        auto it = owner_of_.find(s);
        if (it == owner_of_.end()) throw std::logic_error("model backend: the scheduler finished an unknown request");
        Job* j = it->second;
        owner_of_.erase(it);
        --j->outstanding;
        if (j->restart && s == &j->main && s->finish != serve::Finish::Abort) {
          restart_gen(*j);
          continue;
        }
        if (j->outstanding > 0) continue;
        complete(*j);
        done.push_back(j->r);
        jobs_.erase(j);
      }
    }
  }

  std::string chat_template_source() const override { return tok_->chat_template(); }

  bool has_special_token(std::string_view text) const override {
    std::vector<int32_t> ids = tok_->encode(text, false, true);
    return ids.size() == 1 && tok_->piece(ids[0]) == text;
  }

  std::string stats_json() const override {
    auto r3 = [](double s) { return std::round(s * 1000) / 1000; };
    nlohmann::ordered_json j = {{"gen_requests", stats_.gens},
                                {"select_requests", stats_.selects},
                                {"prefill_requests", stats_.prefills},
                                {"generated_tokens", stats_.generated_tokens},
                                {"jump_forwards", stats_.jumps},
                                {"jump_forward_tokens", stats_.jump_tokens},
                                {"scored_tokens", stats_.scored_tokens},
                                {"step_seconds", r3(stats_.step_seconds)},
                                {"owner_seconds", r3(stats_.owner_seconds)}};
    // The scheduler's counters: cache hit rate, tokens reused vs computed, retractions, ...
    nlohmann::ordered_json s = nlohmann::ordered_json::parse(sched_->stats_json());
    for (auto& [k, v] : s.items()) j[k] = v;
    return j.dump();
  }

 private:
  struct Stats {
    uint64_t requests = 0, gens = 0, selects = 0, prefills = 0, generated_tokens = 0, scored_tokens = 0;
    uint64_t jumps = 0, jump_tokens = 0;  // jump-forwards, and tokens they appended without sampling
    double step_seconds = 0, owner_seconds = 0;
  };

  std::vector<int32_t> encode_prompt(const std::string& text) const {
    std::vector<int32_t> t = tok_->encode(text, true, true);
    // Like cli_complete: a model that starts from BOS always gets it.
    if (tok_->add_bos() && tok_->bos_id() >= 0 && (t.empty() || t[0] != tok_->bos_id())) t.insert(t.begin(), tok_->bos_id());
    return t;
  }

  void enqueue(Job& j, serve::Request& s) {
    owner_of_[&s] = &j;
    ++j.outstanding;
    sched_->submit(&s);
  }

  // Tokenises and prepares a job, then submits its serve::Requests (last: a throw before that
  // leaves nothing in the scheduler). Leaves outstanding == 0 for a job finished on the spot.
  void start(Job& j) {
    Request* r = j.r;
    const int64_t ctx_len = model_->config.max_seq_len;
    std::vector<int32_t> tokens = encode_prompt(r->prompt);
    r->prompt_tokens = static_cast<int64_t>(tokens.size());
    if (r->kind == RequestKind::Prefill) {
      ++stats_.prefills;
      // A prefix that cannot be cached is no error: the requests after it compute it themselves.
      // Without the radix cache nothing would keep it, so computing it would be wasted work.
      if (tokens.empty() || static_cast<int64_t>(tokens.size()) > ctx_len || no_cache_) return;
      j.main.kind = serve::RequestKind::PrefillOnly;
      j.main.prompt = std::move(tokens);
      enqueue(j, j.main);
      return;
    }
    if (tokens.empty()) {
      j.error = "the prompt is empty and the tokenizer has no BOS token";
      return;
    }
    if (static_cast<int64_t>(tokens.size()) >= ctx_len) {
      j.error = "the prompt has " + std::to_string(tokens.size()) + " tokens; the model's context is " +
                std::to_string(ctx_len);
      return;
    }
    if (r->kind == RequestKind::Select) {
      ++stats_.selects;
      start_select(j, tokens);
    } else {
      ++stats_.gens;
      start_gen(j, std::move(tokens));
    }
  }

  void start_gen(Job& j, std::vector<int32_t> tokens) {
    Request* r = j.r;
    const GenParams& g = r->gen;
    j.max_new = std::min<int64_t>(g.max_tokens, model_->config.max_seq_len - static_cast<int64_t>(tokens.size()));
    if (j.max_new <= 0) {
      // max_tokens 0: nothing to generate, but the prompt is committed to the cache (a prefill).
      j.prefill_only = true;
      if (no_cache_) return;
      j.main.kind = serve::RequestKind::PrefillOnly;
      j.main.prompt = std::move(tokens);
      enqueue(j, j.main);
      return;
    }
    SamplingParams sp;
    sp.temperature = static_cast<float>(g.temperature);
    sp.top_k = g.top_k > 0 ? static_cast<int>(g.top_k) : 0;
    sp.top_p = static_cast<float>(g.top_p);
    sp.min_p = static_cast<float>(g.min_p);
    sp.frequency_penalty = static_cast<float>(g.frequency_penalty);
    sp.presence_penalty = static_cast<float>(g.presence_penalty);
    sp.seed = g.seed;
    sp.top_logprobs = static_cast<int>(g.top_logprobs);
    sp.compute_logprob = g.logprobs;  // a log-softmax over the vocabulary per token otherwise wasted
    j.sampler = std::make_unique<Sampler>(sp);
    std::vector<int32_t> ids = g.ignore_eos ? std::vector<int32_t>{} : tok_->stop_ids();
    ids.insert(ids.end(), g.stop_token_ids.begin(), g.stop_token_ids.end());
    // A stop string spelled like a special token (a template's "<|im_end|>") stops on that token:
    // special tokens add no text, so the string itself would never appear.
    for (const std::string& s : g.stop)
      if (has_special_token(s)) ids.push_back(tok_->encode(s, false, true)[0]);
    j.no_early_stop = ids;
    j.stops = std::make_unique<StopChecker>(ids, g.stop);
    j.dec = std::make_unique<StreamDecoder>(*tok_, tokens.back());
    if (g.constraint != ConstraintKind::None) {
      j.masker = masker(g.constraint, g.constraint_text);
      j.cstate = j.prev_cstate = j.masker->dfa().start();
      // Per-token logprobs would need a model step per token: no jumps then.
      j.jump = jump_forward_ && !g.logprobs;
    }
    if (j.jump) {
      // Bytes forced from the start (a JSON object's first key) go into the first prefill.
      Jump first = try_jump(j, 0);
      if (first == Jump::Stopped) return;  // a stop string inside them: done without a model step
      tokens.insert(tokens.end(), j.generated.begin(), j.generated.end());
    }
    j.main.kind = serve::RequestKind::Generate;
    j.main.prompt = std::move(tokens);
    j.main.max_new_tokens = static_cast<int32_t>(
        std::min<int64_t>(j.max_new - static_cast<int64_t>(j.generated.size()), std::numeric_limits<int32_t>::max()));
    Job* jp = &j;
    j.main.owner = [this, jp](std::span<const float> logits, const serve::Request&) { return next_token(*jp, logits); };
    enqueue(j, j.main);
  }

  void start_select(Job& j, const std::vector<int32_t>& tokens) {
    Request* r = j.r;
    const size_t n = r->choices.size();
    size_t min_lcp = std::numeric_limits<size_t>::max();
    for (const std::string& c : r->choices) {
      std::vector<int32_t> f = encode_prompt(r->prompt + c);
      size_t k = 0;
      while (k < f.size() && k < tokens.size() && f[k] == tokens[k]) ++k;
      // The prompt's last token can merge with the choice's first ("a" + "b" -> "ab"): the
      // choice's own tokens then start before the end of the prompt's tokens.
      j.lcp.push_back(k);
      min_lcp = std::min(min_lcp, k);
      j.full.push_back(std::move(f));
    }
    const bool uncond = r->method == SelectMethod::Unconditional;
    j.cond_src.assign(n, {});
    j.uncond_src.assign(n, nullptr);
    // Sized once: the scheduler holds pointers into `parts`.
    size_t n_parts = min_lcp == 0 ? n : 0;
    if (uncond)
      for (size_t c = 0; c < n; ++c) n_parts += j.full[c].size() - j.lcp[c] >= 2 ? 1 : 0;
    j.parts.resize(n_parts);
    size_t next = 0;
    auto score = [](serve::Request& s, std::span<const int32_t> prompt) {
      s.kind = serve::RequestKind::Score;
      s.prompt.assign(prompt.begin(), prompt.end());
    };
    if (min_lcp > 0) {
      // Every full[c] starts with tokens[0, min_lcp): one request scores every choice after it,
      // the shared prefix computed (or found cached) once.
      score(j.main, std::span<const int32_t>(tokens).first(min_lcp));
      for (size_t c = 0; c < n; ++c) {
        j.main.continuations.emplace_back(j.full[c].begin() + static_cast<ptrdiff_t>(min_lcp), j.full[c].end());
        j.cond_src[c] = {&j.main, c, min_lcp};
        stats_.scored_tokens += j.full[c].size() - min_lcp;
      }
    } else {
      // No shared first token (a tokenizer without BOS): each choice from its own first token,
      // which has no context and counts as logprob 0 (as the first token of `uncond` does).
      for (size_t c = 0; c < n; ++c) {
        serve::Request& s = j.parts[next++];
        score(s, std::span<const int32_t>(j.full[c]).first(1));
        s.continuations.emplace_back(j.full[c].begin() + 1, j.full[c].end());
        j.cond_src[c] = {&s, 0, 1};
        stats_.scored_tokens += j.full[c].size() - 1;
      }
    }
    if (uncond)
      for (size_t c = 0; c < n; ++c) {
        // The choice alone: its first own token as the prompt (no BOS), the rest scored after it.
        if (j.full[c].size() - j.lcp[c] < 2) continue;
        serve::Request& s = j.parts[next++];
        score(s, std::span<const int32_t>(j.full[c]).subspan(j.lcp[c], 1));
        s.continuations.emplace_back(j.full[c].begin() + static_cast<ptrdiff_t>(j.lcp[c]) + 1, j.full[c].end());
        j.uncond_src[c] = &s;
        stats_.scored_tokens += j.full[c].size() - j.lcp[c] - 1;
      }
    if (min_lcp > 0) enqueue(j, j.main);
    for (serve::Request& s : j.parts) enqueue(j, s);
  }

  TokenMasker* masker(ConstraintKind kind, const std::string& text) {
    auto key = std::make_pair(static_cast<int>(kind), text);
    auto it = maskers_.find(key);
    if (it != maskers_.end()) return it->second.get();
    if (!trie_) {
      auto v = std::make_shared<constraint::Vocabulary>(vocabulary_from_tokenizer(*tok_));
      trie_ = std::make_shared<constraint::TokenTrie>(v);
    }
    // Programs generate JSON with at most one space between tokens (see json_schema.h).
    auto dfa = kind == ConstraintKind::Regex
                   ? constraint::compile_regex(text)
                   : constraint::compile_json_schema(text, {constraint::JsonWhitespace::Single});
    auto m = std::make_unique<TokenMasker>(dfa, trie_);
    TokenMasker* p = m.get();
    maskers_.emplace(key, std::move(m));
    return p;
  }

  // The owner callback of a Gen: the next token from the latest logits row. Runs inside
  // Scheduler::step and must not throw (the scheduler would be left mid-step): a failure ends the
  // request with Abort and the message in j.error.
  serve::NextToken next_token(Job& j, std::span<const float> logits) {
    auto t0 = Clock::now();
    serve::NextToken nt;
    try {
      nt = choose(j, logits);
    } catch (const std::exception& e) {
      j.error = e.what();
      nt = {-1, serve::Finish::Abort};
    }
    stats_.owner_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    return nt;
  }

  serve::NextToken choose(Job& j, std::span<const float> logits) {
    Request* r = j.r;
    bool early = static_cast<int64_t>(j.generated.size()) < r->gen.min_tokens;
    // Masks write -inf: they work on a copy (the scheduler's row is const); without one the
    // sampler reads the row itself.
    const bool copy = j.masker || (early && !j.no_early_stop.empty());
    if (copy) scratch_.assign(logits.begin(), logits.end());
    std::span<float> row = copy ? std::span<float>(scratch_) : std::span<float>();
    std::span<const float> in = copy ? std::span<const float>(row) : logits;
    const float ninf = -std::numeric_limits<float>::infinity();
    if (j.masker) {
      // 32 tokens per mask word: all-allowed words are skipped, empty ones blanked at once.
      auto mask = j.masker->mask(j.cstate);
      bool any = false;
      const size_t n = row.size();
      for (size_t w = 0; w < mask->words.size() && w * 32 < n; ++w) {
        const uint32_t bits = mask->words[w];
        const size_t base = w * 32, end = std::min(n, base + 32);
        if (bits == 0xFFFFFFFFu && end - base == 32) {
          any = true;
          continue;
        }
        any |= bits != 0;
        for (size_t t = base; t < end; ++t)
          if (!((bits >> (t - base)) & 1u)) row[t] = ninf;
      }
      // Rows wider than the tokenizer's vocabulary (padded embeddings): those ids are never allowed.
      for (size_t t = mask->words.size() * 32; t < n; ++t) row[t] = ninf;
      if (!any) return {-1, serve::Finish::Stop};
    }
    if (early)
      for (int32_t id : j.no_early_stop)
        if (id >= 0 && static_cast<size_t>(id) < row.size()) row[static_cast<size_t>(id)] = ninf;
    SampleResult s = j.sampler->sample(in, j.generated);
    if (!early && j.stops->is_stop_token(s.token)) return {-1, serve::Finish::Stop};
    j.generated.push_back(s.token);
    ++stats_.generated_tokens;
    if (r->gen.logprobs) r->token_logprobs.push_back(s.logprob);
    if (j.masker) {
      j.prev_cstate = j.cstate;
      j.cstate = j.masker->advance(j.cstate, s.token);
    }
    size_t keep = 0;
    if (j.stops->feed(j.dec->push(s.token), &keep) && !early) {
      j.keep = keep;
      return {s.token, serve::Finish::Stop};
    }
    stream_to(j, j.stops->text().size() - j.stops->held_back());
    if (static_cast<int64_t>(j.generated.size()) >= j.max_new) return {s.token, serve::Finish::Length};
    if (j.jump) switch (try_jump(j, 1)) {
        case Jump::None:
          break;
        case Jump::Restart:
          // This request ends here; step() submits prompt + generated again (restart_gen).
          j.restart = true;
          return {s.token, serve::Finish::Stop};
        case Jump::Stopped:
          return {s.token, serve::Finish::Stop};
      }
    return {s.token, serve::Finish::None};
  }

  enum class Jump { None, Restart, Stopped };

  // Appends the bytes the constraint forces after j.generated (re-tokenised together with its
  // last `retokenize` tokens) to j.generated, the constraint state, the stop checker and the
  // stream. Restart: the appended tokens still need a forward pass; Stopped: a stop string ended
  // the gen inside them (j.keep set).
  Jump try_jump(Job& j, size_t retokenize) {
    if (j.dec->holds_partial()) return Jump::None;  // the text ends inside a character
    JumpPlan p;
    const int32_t tail_state = retokenize ? j.prev_cstate : j.cstate;
    if (!plan_jump(*j.masker, tail_state, j.cstate, j.generated, retokenize, *tok_, &p)) return Jump::None;
    // Leave room for at least one sampled token after the jump.
    if (static_cast<int64_t>(p.keep + p.append.size()) >= j.max_new) return Jump::None;
    ++stats_.jumps;
    stats_.jump_tokens += p.append.size() - (j.generated.size() - p.keep);
    j.generated.resize(p.keep);
    j.generated.insert(j.generated.end(), p.append.begin(), p.append.end());
    j.cstate = j.prev_cstate = p.state;
    j.dec = std::make_unique<StreamDecoder>(*tok_, j.generated.back());
    const bool early = static_cast<int64_t>(j.generated.size()) < j.r->gen.min_tokens;
    size_t keep = 0;
    if (j.stops->feed(p.text, &keep) && !early) {
      j.keep = keep;
      return Jump::Stopped;
    }
    stream_to(j, j.stops->text().size() - j.stops->held_back());
    return Jump::Restart;
  }

  // Submits a jumped gen again: its prompt plus everything generated, forced tokens included. The
  // radix cache has the prompt and every token whose K/V the ended request computed.
  void restart_gen(Job& j) {
    j.restart = false;
    if (j.first_cached < 0) j.first_cached = j.main.cached_tokens;
    // main.prompt always starts with the gen's own prompt (r->prompt_tokens long).
    j.main.prompt.resize(static_cast<size_t>(j.r->prompt_tokens));
    j.main.prompt.insert(j.main.prompt.end(), j.generated.begin(), j.generated.end());
    j.main.max_new_tokens = static_cast<int32_t>(
        std::min<int64_t>(j.max_new - static_cast<int64_t>(j.generated.size()), std::numeric_limits<int32_t>::max()));
    enqueue(j, j.main);
  }

  void stream_to(Job& j, size_t end) {
    if (end > j.streamed) {
      if (j.r->on_text) j.r->on_text(std::string_view(j.stops->text()).substr(j.streamed, end - j.streamed));
      j.streamed = end;
    }
  }

  // Writes a finished job's results into its Request.
  void complete(Job& j) {
    Request* r = j.r;
    const serve::Request& m = j.main;
    if (r->kind != RequestKind::Select) {
      r->cached_tokens = j.first_cached >= 0 ? j.first_cached : m.cached_tokens;
      r->completion_tokens = static_cast<int64_t>(j.generated.size());
    }
    if (r->kind == RequestKind::Prefill) {
      // Not cached (an abort, e.g. a pool too small for it) costs only speed: no error.
      r->finish = FinishReason::Length;
      return;
    }
    if (r->kind == RequestKind::Select) return complete_select(j);
    if (!j.error.empty()) {
      r->error = j.error;
      return;
    }
    if (j.prefill_only) {
      r->finish = FinishReason::Length;
      return;
    }
    if (m.finish == serve::Finish::Abort) {
      r->error = m.error.empty() ? "the engine aborted the request" : m.error;
      return;
    }
    finish_gen(j, m.finish == serve::Finish::Length ? FinishReason::Length : FinishReason::Stop, j.keep);
  }

  void finish_gen(Job& j, FinishReason why, size_t keep) {
    if (keep == std::string::npos) {
      size_t k = 0;
      if (j.stops->feed(j.dec->flush(), &k)) {
        keep = k;
        why = FinishReason::Stop;
      } else {
        keep = j.stops->text().size();
      }
    }
    j.r->text = j.stops->text().substr(0, keep);
    stream_to(j, keep);
    j.r->finish = why;
  }

  void complete_select(Job& j) {
    Request* r = j.r;
    for (const serve::Request* s : all_requests(j))
      if (s->finish == serve::Finish::Abort) {
        r->error = s->error.empty() ? "the engine aborted the request" : s->error;
        return;
      }
    const size_t n = j.full.size();
    std::vector<ChoiceLogprobs> lp(n);
    int64_t cached = 0;
    for (size_t c = 0; c < n; ++c) {
      const std::vector<int32_t>& f = j.full[c];
      const Job::Source& src = j.cond_src[c];
      const std::vector<float>& row = src.req->logprobs[src.index];
      cached = std::max<int64_t>(cached, src.req->cached_tokens);
      // Position p of full[c] is predicted by row[p - base]; a position before the request's
      // prompt end (only p == 0 without BOS) has no context and counts as 0.
      for (size_t p = j.lcp[c]; p < f.size(); ++p)
        lp[c].cond.push_back(p < src.base ? 0.0 : static_cast<double>(row.at(p - src.base)));
      if (r->method == SelectMethod::Unconditional && j.lcp[c] < f.size()) {
        lp[c].uncond.push_back(0.0);  // the choice's first token alone has no context
        if (const serve::Request* u = j.uncond_src[c])
          for (float x : u->logprobs.at(0)) lp[c].uncond.push_back(static_cast<double>(x));
      }
    }
    r->choice = static_cast<int64_t>(select_choice(r->method, lp, &r->choice_scores));
    r->cached_tokens = cached;
    r->finish = FinishReason::Stop;
  }

  static std::vector<const serve::Request*> all_requests(const Job& j) {
    std::vector<const serve::Request*> v;
    if (!j.main.prompt.empty()) v.push_back(&j.main);
    for (const serve::Request& s : j.parts) v.push_back(&s);
    return v;
  }

  std::shared_ptr<const Model> model_;
  std::shared_ptr<const Tokenizer> tok_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<serve::Scheduler> sched_;  // owns the engine's KV pool
  bool no_cache_ = false;                     // --disable-radix-cache: prefills are skipped
  bool jump_forward_ = true;
  std::unordered_map<Job*, std::unique_ptr<Job>> jobs_;
  std::unordered_map<const serve::Request*, Job*> owner_of_;
  std::vector<Request*> ready_;  // finished at submit (errors, nothing to compute)
  std::vector<float> scratch_;
  std::shared_ptr<const constraint::TokenTrie> trie_;
  std::map<std::pair<int, std::string>, std::unique_ptr<TokenMasker>> maskers_;
  Stats stats_;
};

}  // namespace
}  // namespace sgl

namespace sgl {

std::unique_ptr<Backend> make_model_backend(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tok,
                                            const ModelBackendOptions& o) {
  return std::make_unique<ModelBackend>(std::move(model), std::move(tok), o);
}

std::unique_ptr<Backend> make_model_backend(const std::string& spec, const ModelBackendOptions& o) {
  std::string like;
  DType dt;
  if (parse_random_spec(spec, &like, &dt)) {
    ModelConfig c = random_model_config(like);
    std::shared_ptr<const Model> m = make_random_model(c, dt);
    return make_model_backend(m, make_random_tokenizer(m->config), o);
  }
  std::shared_ptr<const Model> m = load_model(spec);
  return make_model_backend(m, load_tokenizer(spec), o);
}

}  // namespace sgl
