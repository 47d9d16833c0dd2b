// The CPU-engine backend (see model_backend.h): per-request state machines for gen (prefill, then
// one token per step: constraint mask, sampling, stop checks, streaming) and select (a shared
// prefix, then every choice scored in one batched forward), stepped together.
#include "model_backend.h"

#include <chrono>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "constraint.h"
#include "constraint_error.h"
#include "engine.h"
#include "model_loader.h"
#include "random_model.h"
#include "sampler.h"
#include "select_scoring.h"
#include "token_masker.h"
#include "tokenizer.h"
#include "tokenizer_vocab.h"

namespace sgl {
namespace {

using constraint::TokenMasker;

struct Active {
  Request* r = nullptr;
  enum class Phase { Prefill, Decode, SelectPrefix, SelectChoices } phase = Phase::Prefill;
  std::vector<int32_t> tokens;  // everything that is (or is about to be) in K/V, in order
  std::vector<int32_t> slots;
  int32_t in_kv = 0;            // tokens[0 .. in_kv) have K/V
  // gen
  std::vector<int32_t> generated;
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<StopChecker> stops;
  std::unique_ptr<StreamDecoder> dec;
  TokenMasker* masker = nullptr;
  int32_t cstate = 0;
  std::vector<int32_t> no_early_stop;  // ids masked out before min_tokens
  int64_t max_new = 0;
  size_t streamed = 0;
  // select
  std::vector<std::vector<int32_t>> full;  // prompt + choice tokens, per choice
  std::vector<size_t> lcp;                 // where each choice's own tokens start in full[c]
  size_t shared = 0;                       // prefix run once and shared by every choice
  std::vector<std::vector<int32_t>> choice_slots, uncond_slots;
};

class ModelBackend : public Backend {
 public:
  ModelBackend(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tok, const ModelBackendOptions& o)
      : model_(std::move(model)), tok_(std::move(tok)) {
    const ModelConfig& c = model_->config;
    CpuEngineOptions eo;
    eo.threads = o.threads;
    eo.kv_slots = o.kv_slots;
    if (eo.kv_slots <= 0) {
      // Room for several full contexts within a 1 GiB budget (f32 K and V per layer).
      size_t per_slot = static_cast<size_t>(c.n_layers) * 2 * static_cast<size_t>(c.n_kv_heads * c.head_dim) * 4;
      size_t budget = per_slot ? (size_t{1} << 30) / per_slot : 65536;
      eo.kv_slots = static_cast<int32_t>(std::clamp<size_t>(budget, static_cast<size_t>(c.max_seq_len), 65536));
    }
    engine_ = make_cpu_engine(model_, eo);
  }

  void submit(Request* r) override { queue_.push_back(r); }

  void step(std::vector<Request*>& done) override {
    for (;;) {
      while (!queue_.empty()) {
        Request* r = queue_.front();
        queue_.pop_front();
        admit(r, done);
      }
      if (!done.empty() || active_.empty()) return;
      forward_step(done);
      if (!done.empty()) return;
    }
  }

  std::string chat_template_source() const override { return tok_->chat_template(); }

  bool has_special_token(std::string_view text) const override {
    std::vector<int32_t> ids = tok_->encode(text, false, true);
    return ids.size() == 1 && tok_->piece(ids[0]) == text;
  }

  std::string stats_json() const override {
    nlohmann::ordered_json j = {{"requests", stats_.requests},
                                {"gen_requests", stats_.gens},
                                {"select_requests", stats_.selects},
                                {"prefill_requests", stats_.prefills},
                                {"prompt_tokens", stats_.prompt_tokens},
                                {"generated_tokens", stats_.generated_tokens},
                                {"scored_tokens", stats_.scored_tokens},
                                {"cached_tokens", 0},
                                {"forward_calls", stats_.forwards},
                                {"forward_tokens", stats_.forward_tokens},
                                {"forward_seconds", std::round(stats_.forward_seconds * 1000) / 1000},
                                {"max_batch_sequences", stats_.max_batch},
                                {"kv_slots", engine_->kv_pool().capacity()}};
    return j.dump();
  }

 private:
  // One sequence of a forward batch and where its logits rows start.
  struct Item {
    Active* a;
    int what;  // 0: gen prefill/decode, 1: select prefix, 2: select choice c, 3: select choice c alone
    size_t c;
    size_t row;
  };
  struct Stats {
    uint64_t requests = 0, gens = 0, selects = 0, prefills = 0, prompt_tokens = 0, generated_tokens = 0,
             scored_tokens = 0, forwards = 0, forward_tokens = 0, max_batch = 0;
    double forward_seconds = 0;
  };

  std::vector<int32_t> encode_prompt(const std::string& text) const {
    std::vector<int32_t> t = tok_->encode(text, true, true);
    // Like cli_complete: a model that starts from BOS always gets it.
    if (tok_->add_bos() && tok_->bos_id() >= 0 && (t.empty() || t[0] != tok_->bos_id())) t.insert(t.begin(), tok_->bos_id());
    return t;
  }

  void fail(Request* r, std::string msg, std::vector<Request*>& done) {
    r->error = std::move(msg);
    done.push_back(r);
  }

  void admit(Request* r, std::vector<Request*>& done) {
    ++stats_.requests;
    const int32_t ctx_len = model_->config.max_seq_len;
    try {
      if (r->kind == RequestKind::Prefill) {
        // Nothing keeps K/V between requests until the radix cache exists, so computing the
        // prefix now would be wasted work: report it committed.
        ++stats_.prefills;
        r->prompt_tokens = static_cast<int64_t>(encode_prompt(r->prompt).size());
        done.push_back(r);
        return;
      }
      auto a = std::make_unique<Active>();
      a->r = r;
      a->tokens = encode_prompt(r->prompt);
      r->prompt_tokens = static_cast<int64_t>(a->tokens.size());
      stats_.prompt_tokens += a->tokens.size();
      if (a->tokens.empty()) return fail(r, "the prompt is empty and the tokenizer has no BOS token", done);
      if (static_cast<int64_t>(a->tokens.size()) >= ctx_len)
        return fail(r, "the prompt has " + std::to_string(a->tokens.size()) + " tokens; the model's context is " +
                           std::to_string(ctx_len),
                    done);
      if (r->kind == RequestKind::Select) {
        ++stats_.selects;
        admit_select(*a);
      } else {
        ++stats_.gens;
        if (!admit_gen(*a, done)) return;
      }
      active_.push_back(std::move(a));
    } catch (const constraint::ConstraintError& e) {
      fail(r, e.what(), done);
    } catch (const std::exception& e) {
      fail(r, std::string("engine error: ") + e.what(), done);
    }
  }

  bool admit_gen(Active& a, std::vector<Request*>& done) {
    Request* r = a.r;
    const GenParams& g = r->gen;
    a.max_new = std::min<int64_t>(g.max_tokens, model_->config.max_seq_len - static_cast<int64_t>(a.tokens.size()));
    if (a.max_new <= 0) {
      r->finish = FinishReason::Length;
      done.push_back(r);
      return false;
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
    a.sampler = std::make_unique<Sampler>(sp);
    std::vector<int32_t> ids = g.ignore_eos ? std::vector<int32_t>{} : tok_->stop_ids();
    ids.insert(ids.end(), g.stop_token_ids.begin(), g.stop_token_ids.end());
    // A stop string spelled like a special token (a template's "<|im_end|>") stops on that token:
    // special tokens add no text, so the string itself would never appear.
    for (const std::string& s : g.stop)
      if (has_special_token(s)) ids.push_back(tok_->encode(s, false, true)[0]);
    a.no_early_stop = ids;
    a.stops = std::make_unique<StopChecker>(ids, g.stop);
    a.dec = std::make_unique<StreamDecoder>(*tok_, a.tokens.back());
    if (g.constraint != ConstraintKind::None) {
      a.masker = masker(g.constraint, g.constraint_text);
      a.cstate = a.masker->dfa().start();
    }
    a.phase = Active::Phase::Prefill;
    return true;
  }

  void admit_select(Active& a) {
    Request* r = a.r;
    size_t shared = std::numeric_limits<size_t>::max();
    for (const std::string& c : r->choices) {
      std::vector<int32_t> f = encode_prompt(r->prompt + c);
      size_t k = 0;
      while (k < f.size() && k < a.tokens.size() && f[k] == a.tokens[k]) ++k;
      // The prompt's last token can merge with the choice's first ("a" + "b" -> "ab"): its
      // tokens then start earlier, and the shared prefix ends before them.
      a.lcp.push_back(k);
      shared = std::min(shared, k);
      a.full.push_back(std::move(f));
    }
    // Every choice re-runs at least the last shared token, whose logits predict its first token.
    a.shared = shared > 0 ? shared - 1 : 0;
    a.phase = a.shared > 0 ? Active::Phase::SelectPrefix : Active::Phase::SelectChoices;
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

  // One Engine::forward over every active request that can get its KV slots.
  void forward_step(std::vector<Request*>& done) {
    KvPool& pool = engine_->kv_pool();
    std::vector<Item> items;
    std::vector<SeqInput> batch;
    size_t rows = 0;
    auto add = [&](Active* a, int what, size_t c, std::span<const int32_t> toks, int32_t pos,
                   std::span<const int32_t> slots, bool all) {
      SeqInput s;
      s.tokens = toks;
      s.pos = pos;
      s.slots = slots;
      s.all_logits = all;
      batch.push_back(s);
      items.push_back({a, what, c, rows});
      rows += all ? toks.size() : 1;
    };
    for (auto& up : active_) {
      Active* a = up.get();
      switch (a->phase) {
        case Active::Phase::Prefill:
        case Active::Phase::Decode: {
          size_t need = a->tokens.size() - static_cast<size_t>(a->in_kv);
          std::vector<int32_t> more;
          if (!pool.alloc(static_cast<int32_t>(need), more)) continue;
          a->slots.insert(a->slots.end(), more.begin(), more.end());
          add(a, 0, 0, std::span<const int32_t>(a->tokens).subspan(static_cast<size_t>(a->in_kv)), a->in_kv, a->slots,
              false);
          break;
        }
        case Active::Phase::SelectPrefix: {
          if (!pool.alloc(static_cast<int32_t>(a->shared), a->slots)) continue;
          add(a, 1, 0, std::span<const int32_t>(a->tokens).first(a->shared), 0, a->slots, false);
          break;
        }
        case Active::Phase::SelectChoices: {
          size_t need = 0;
          bool uncond = a->r->method == SelectMethod::Unconditional;
          for (size_t c = 0; c < a->full.size(); ++c) {
            need += a->full[c].size() - a->shared;
            if (uncond) need += a->full[c].size() - a->lcp[c];
          }
          std::vector<int32_t> got;
          if (!pool.alloc(static_cast<int32_t>(need), got)) continue;
          size_t g = 0;
          a->choice_slots.assign(a->full.size(), {});
          a->uncond_slots.assign(a->full.size(), {});
          for (size_t c = 0; c < a->full.size(); ++c) {
            auto& cs = a->choice_slots[c];
            cs = a->slots;  // the shared prefix
            for (size_t i = a->shared; i < a->full[c].size(); ++i) cs.push_back(got[g++]);
            if (a->full[c].size() > a->shared)
              add(a, 2, c, std::span<const int32_t>(a->full[c]).subspan(a->shared), static_cast<int32_t>(a->shared), cs,
                  true);
            if (uncond) {
              auto& us = a->uncond_slots[c];
              for (size_t i = a->lcp[c]; i < a->full[c].size(); ++i) us.push_back(got[g++]);
              if (!us.empty())
                add(a, 3, c, std::span<const int32_t>(a->full[c]).subspan(a->lcp[c]), 0, us, true);
            }
          }
          break;
        }
      }
    }
    if (batch.empty()) {
      // Nothing fits in the KV pool even alone: fail the oldest request rather than wait forever.
      Active* a = active_.front().get();
      release(*a);
      fail(a->r, "the KV cache (" + std::to_string(pool.capacity()) + " slots) is too small for this request", done);
      active_.pop_front();
      return;
    }
    auto t0 = std::chrono::steady_clock::now();
    engine_->forward(batch, logits_);
    stats_.forward_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++stats_.forwards;
    for (const SeqInput& s : batch) stats_.forward_tokens += s.tokens.size();
    stats_.max_batch = std::max<uint64_t>(stats_.max_batch, batch.size());

    const size_t V = static_cast<size_t>(engine_->config().vocab_size);
    std::vector<Active*> select_ready;
    for (const Item& it : items) {
      Active* a = it.a;
      float* row = logits_.data() + it.row * V;
      switch (it.what) {
        case 0: gen_token(*a, std::span<float>(row, V)); break;
        case 1: a->phase = Active::Phase::SelectChoices; break;
        default: {
          if (select_ready.empty() || select_ready.back() != a) select_ready.push_back(a);
          break;
        }
      }
    }
    // Score the selects whose choices ran in this forward.
    for (Active* a : select_ready) score_select(*a, items, V);
    for (size_t i = 0; i < active_.size();) {
      Active* a = active_[i].get();
      if (a->r->finish != FinishReason::None) {
        release(*a);
        done.push_back(a->r);
        active_.erase(active_.begin() + static_cast<ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
  }

  void score_select(Active& a, const std::vector<Item>& items, size_t V) {
    Request* r = a.r;
    std::vector<ChoiceLogprobs> lp(a.full.size());
    std::vector<float> ls;
    auto logprob = [&](size_t row, int32_t token) {
      log_softmax(std::span<const float>(logits_.data() + row * V, V), ls);
      ++stats_.scored_tokens;
      return static_cast<double>(ls[static_cast<size_t>(token)]);
    };
    for (const Item& it : items) {
      if (it.a != &a || it.what < 2) continue;
      const std::vector<int32_t>& f = a.full[it.c];
      if (it.what == 2) {
        // Row j of this sequence predicts f[shared + j + 1].
        for (size_t p = a.lcp[it.c]; p < f.size(); ++p)
          lp[it.c].cond.push_back(p == 0 ? 0.0 : logprob(it.row + (p - 1 - a.shared), f[p]));
      } else {
        // The choice alone: its first token has no context (counts as 0).
        for (size_t p = a.lcp[it.c]; p < f.size(); ++p)
          lp[it.c].uncond.push_back(p == a.lcp[it.c] ? 0.0 : logprob(it.row + (p - 1 - a.lcp[it.c]), f[p]));
      }
    }
    r->choice = static_cast<int64_t>(select_choice(r->method, lp, &r->choice_scores));
    r->finish = FinishReason::Stop;
  }

  void gen_token(Active& a, std::span<float> row) {
    Request* r = a.r;
    a.in_kv = static_cast<int32_t>(a.tokens.size());
    a.phase = Active::Phase::Decode;
    const float ninf = -std::numeric_limits<float>::infinity();
    if (a.masker) {
      auto mask = a.masker->mask(a.cstate);
      if (mask->count() == 0) return finish_gen(a, FinishReason::Stop);
      for (size_t t = 0; t < row.size(); ++t)
        if (!mask->test(static_cast<int32_t>(t))) row[t] = ninf;
    }
    bool early = static_cast<int64_t>(a.generated.size()) < r->gen.min_tokens;
    if (early)
      for (int32_t id : a.no_early_stop)
        if (id >= 0 && static_cast<size_t>(id) < row.size()) row[static_cast<size_t>(id)] = ninf;
    SampleResult s = a.sampler->sample(row, a.generated);
    if (!early && a.stops->is_stop_token(s.token)) return finish_gen(a, FinishReason::Stop);
    a.generated.push_back(s.token);
    a.tokens.push_back(s.token);
    ++stats_.generated_tokens;
    r->completion_tokens = static_cast<int64_t>(a.generated.size());
    if (r->gen.logprobs) r->token_logprobs.push_back(s.logprob);
    if (a.masker) a.cstate = a.masker->advance(a.cstate, s.token);
    size_t keep = 0;
    if (a.stops->feed(a.dec->push(s.token), &keep) && !early) return finish_gen(a, FinishReason::Stop, keep);
    size_t safe = a.stops->text().size() - a.stops->held_back();
    stream_to(a, safe);
    if (static_cast<int64_t>(a.generated.size()) >= a.max_new) return finish_gen(a, FinishReason::Length);
  }

  void stream_to(Active& a, size_t end) {
    if (end > a.streamed) {
      if (a.r->on_text) a.r->on_text(std::string_view(a.stops->text()).substr(a.streamed, end - a.streamed));
      a.streamed = end;
    }
  }

  void finish_gen(Active& a, FinishReason why, size_t keep = std::string::npos) {
    if (keep == std::string::npos) {
      size_t k = 0;
      if (a.stops->feed(a.dec->flush(), &k)) {
        keep = k;
        why = FinishReason::Stop;
      } else {
        keep = a.stops->text().size();
      }
    }
    a.r->text = a.stops->text().substr(0, keep);
    stream_to(a, keep);
    a.r->finish = why;
  }

  void release(Active& a) {
    KvPool& pool = engine_->kv_pool();
    pool.release(a.slots);
    a.slots.clear();
    for (auto* v : {&a.choice_slots, &a.uncond_slots})
      for (auto& s : *v) {
        // choice_slots begin with the shared prefix, which a.slots released already.
        size_t from = v == &a.choice_slots ? std::min(a.shared, s.size()) : 0;
        pool.release(std::vector<int32_t>(s.begin() + static_cast<ptrdiff_t>(from), s.end()));
      }
    a.choice_slots.clear();
    a.uncond_slots.clear();
  }

  std::shared_ptr<const Model> model_;
  std::shared_ptr<const Tokenizer> tok_;
  std::unique_ptr<Engine> engine_;
  std::deque<Request*> queue_;
  std::deque<std::unique_ptr<Active>> active_;
  std::vector<float> logits_;
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
