// rt.h entry points that touch the stream or the executor: appends, roles, print, text(), gen,
// select, fork/join and spawn/task reads. The ones that wait for the model or for other instances
// suspend the calling fiber through the Executor.
#include <algorithm>

#include "constraint.h"
#include "constraint_error.h"
#include "executor.h"
#include "instance.h"
#include "runtime_error.h"
#include "sgl/rt.h"
#include "typed_result.h"
#include "values.h"

using namespace sgl;

namespace {

Arena& arena(sgl_ctx* ctx) { return ctx->tree->arena; }

// Appends to the stream and, for a root instance that streams, to the output at once.
void emit(sgl_ctx* ctx, std::string_view s) {
  if (s.empty()) return;
  ctx->stream.text.append(s);
  if (ctx == ctx->tree->root && ctx->tree->hooks.on_root_text) ctx->tree->hooks.on_root_text(s);
}

// What is still running after its tree's main returned is cancelled at its next wait.
bool cancelled(sgl_ctx* ctx) { return ctx->tree->cancelled && ctx != ctx->tree->root; }
int32_t cancel(sgl_ctx* ctx, const sgl_loc* loc) {
  return record_error(ctx, loc, "cancelled: the program's main has finished", SGL_ERR_CANCELLED);
}

std::string gen_label(const std::string& name) { return name.empty() ? "gen" : "gen '" + name + "'"; }

std::string quote(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

VarMeta meta_of(const Request& r) {
  VarMeta m;
  m.prompt_tokens = r.prompt_tokens;
  m.completion_tokens = r.completion_tokens;
  m.cached_tokens = r.cached_tokens;
  m.finish = r.finish;
  return m;
}

// Sets up streaming of a request's text for the root instance of a streaming run.
void stream_request(sgl_ctx* ctx, Request& r) {
  ctx->streamed = 0;
  if (ctx != ctx->tree->root || !ctx->tree->hooks.on_root_text) return;
  r.on_text = [ctx](std::string_view piece) {
    ctx->streamed += piece.size();
    ctx->tree->hooks.on_root_text(piece);
  };
}

// Appends a finished request's text to the stream; streams what the backend did not.
void append_result(sgl_ctx* ctx, std::string_view text) {
  ctx->stream.text.append(text);
  if (ctx == ctx->tree->root && ctx->tree->hooks.on_root_text && ctx->streamed < text.size())
    ctx->tree->hooks.on_root_text(text.substr(ctx->streamed));
  ctx->streamed = 0;
}

// Waits for a task or a branch to finish; its failure becomes this instance's.
int32_t wait_for(sgl_ctx* ctx, sgl_ctx* other) {
  if (other->state != InstanceState::Done) {
    other->waiters.push_back(ctx);
    ctx->ex->suspend(ctx);
  }
  if (other->status < 0) {
    if (ctx->error.empty()) ctx->error = other->error;
    return other->status;
  }
  return SGL_OK;
}

// A variable of another instance's stream, converted where the descriptors differ only by the
// int -> float widening.
int32_t read_var(sgl_ctx* ctx, sgl_ctx* owner, const char* name, const char* type, const sgl_loc* loc,
                 const std::string& who, uint64_t* out) {
  const Var* v = owner->stream.find(name);
  if (!v) return record_error(ctx, loc, who + " has no variable '" + name + "' (no gen or select bound it)");
  *out = v->bits;
  if (type && type[0] == 'f' && v->type[0] == 'i') *out = double_bits(static_cast<double>(static_cast<int64_t>(v->bits)));
  return SGL_OK;
}

}  // namespace

extern "C" {

// ---- print and text ----

void sgl_print_begin(sgl_ctx* ctx) {
  ctx->print_line.clear();
  ctx->print_started = false;
}

void sgl_print_value(sgl_ctx* ctx, const char* type, uint64_t bits) {
  if (ctx->print_started) ctx->print_line += ' ';
  ctx->print_started = true;
  append_text(ctx->print_line, type ? type : "s", bits);
}

void sgl_print_end(sgl_ctx* ctx) {
  if (ctx->tree->hooks.on_print) ctx->tree->hooks.on_print(ctx->print_line);
  ctx->print_line.clear();
  ctx->print_started = false;
}

const sgl_str* sgl_text(sgl_ctx* ctx) { return make_str(arena(ctx), ctx->stream.text.str()); }

// ---- the stream ----

void sgl_append(sgl_ctx* ctx, const sgl_str* s) { emit(ctx, view(s)); }

void sgl_role_begin(sgl_ctx* ctx, int32_t role) {
  role = std::clamp(role, SGL_ROLE_SYSTEM, SGL_ROLE_ASSISTANT);
  const ChatTemplate& t = ctx->ex->chat_template();
  std::string h = ctx->stream.role_begin(t, role);
  if (ctx == ctx->tree->root && ctx->tree->hooks.on_root_text && !h.empty()) ctx->tree->hooks.on_root_text(h);
}

void sgl_role_end(sgl_ctx* ctx, int32_t role) {
  role = std::clamp(role, SGL_ROLE_SYSTEM, SGL_ROLE_ASSISTANT);
  std::string e = ctx->stream.role_end(ctx->ex->chat_template(), role);
  if (ctx == ctx->tree->root && ctx->tree->hooks.on_root_text && !e.empty()) ctx->tree->hooks.on_root_text(e);
}

// ---- gen ----

sgl_gen_opts* sgl_gen_opts_new(sgl_ctx* ctx, const char* name) {
  auto* o = arena(ctx).make<sgl_gen_opts>();
  o->ctx = ctx;
  o->name = name ? name : "";
  o->params = ctx->ex->options().defaults;
  return o;
}

void sgl_gen_set_int(sgl_gen_opts* o, int32_t key, int64_t v) {
  GenParams& p = o->params;
  switch (key) {
    case SGL_OPT_MAX_TOKENS: p.max_tokens = v; break;
    case SGL_OPT_MIN_TOKENS: p.min_tokens = v; break;
    case SGL_OPT_STOP_TOKEN_ID: p.stop_token_ids.push_back(static_cast<int32_t>(v)); break;
    case SGL_OPT_TOP_K: p.top_k = v; break;
    case SGL_OPT_IGNORE_EOS: p.ignore_eos = v != 0; break;
    case SGL_OPT_SEED:
      p.seed = static_cast<uint64_t>(v);
      o->seed_set = true;
      break;
    case SGL_OPT_LOGPROBS: p.logprobs = v != 0; break;
    case SGL_OPT_TOP_LOGPROBS: p.top_logprobs = v; break;
    // Float options written as int constants.
    default: sgl_gen_set_float(o, key, static_cast<double>(v)); break;
  }
}

void sgl_gen_set_float(sgl_gen_opts* o, int32_t key, double v) {
  GenParams& p = o->params;
  switch (key) {
    case SGL_OPT_TEMPERATURE: p.temperature = v; break;
    case SGL_OPT_TOP_P: p.top_p = v; break;
    case SGL_OPT_MIN_P: p.min_p = v; break;
    case SGL_OPT_FREQUENCY_PENALTY: p.frequency_penalty = v; break;
    case SGL_OPT_PRESENCE_PENALTY: p.presence_penalty = v; break;
    default: break;  // the compiler only passes known keys with their kind
  }
}

void sgl_gen_set_str(sgl_gen_opts* o, int32_t key, const sgl_str* v) {
  if (key == SGL_OPT_STOP) o->params.stop.emplace_back(view(v));
}

void sgl_gen_constrain(sgl_gen_opts* o, int32_t kind, const sgl_str* spec) {
  o->params.constraint = kind == SGL_CONSTRAINT_JSON_SCHEMA ? ConstraintKind::JsonSchema : ConstraintKind::Regex;
  o->params.constraint_text = std::string(view(spec));
}

int32_t sgl_gen(sgl_ctx* ctx, sgl_gen_opts* o, const char* result_type, const sgl_loc* loc, uint64_t* out) {
  if (cancelled(ctx)) return cancel(ctx, loc);
  Executor& ex = *ctx->ex;
  Request r;
  r.kind = RequestKind::Gen;
  r.name = o->name;
  r.prompt = ctx->stream.text.str();
  r.gen = o->params;
  // Inside a turn, the template's end-of-turn marker ends the gen.
  const std::string& eot = ex.chat_template().stop;
  if (ctx->stream.open_role >= 0 && !eot.empty() && std::find(r.gen.stop.begin(), r.gen.stop.end(), eot) == r.gen.stop.end())
    r.gen.stop.push_back(eot);
  uint64_t k = ctx->gen_count++;
  if (!o->seed_set) r.gen.seed = mix_seed(ctx->seed_base, k);
  std::shared_ptr<constraint::LazyDfa> dfa;
  if (r.gen.constraint != ConstraintKind::None) {
    try {
      dfa = ex.constraint_dfa(r.gen.constraint, r.gen.constraint_text);
    } catch (const constraint::ConstraintError& e) {
      return record_error(ctx, loc, gen_label(o->name) + ": " + e.what());
    }
  }
  stream_request(ctx, r);
  ex.wait_request(ctx, r);
  if (!r.error.empty()) return record_error(ctx, loc, gen_label(o->name) + ": " + r.error, SGL_ERR_ENGINE);
  if (cancelled(ctx)) return cancel(ctx, loc);
  append_result(ctx, r.text);
  if (dfa && !dfa->full_match(r.text)) {
    const char* what = r.gen.constraint == ConstraintKind::Regex ? "regex" : "JSON schema";
    if (r.finish == FinishReason::Length)
      return record_error(ctx, loc, gen_label(o->name) + " reached max_tokens (" + std::to_string(r.gen.max_tokens) +
                                        ") before its output matched the " + what + ": " + quote(r.text));
    return record_error(ctx, loc, "the output of " + gen_label(o->name) + " does not match its " + what + ": " + quote(r.text));
  }
  const char* type = intern_type(result_type && *result_type ? result_type : "s");
  uint64_t bits = 0;
  std::string why;
  if (!decode_gen_result(arena(ctx), r.text, type, &bits, &why))
    return record_error(ctx, loc, gen_label(o->name) + ": " + why);
  if (!o->name.empty()) ctx->stream.bind(o->name, type, bits, meta_of(r));
  if (out) *out = bits;
  return SGL_OK;
}

// ---- select ----

int32_t sgl_select(sgl_ctx* ctx, const char* name, const sgl_list* choices, int32_t method, const sgl_loc* loc,
                   const sgl_str** out) {
  if (cancelled(ctx)) return cancel(ctx, loc);
  if (!choices || choices->len == 0) return record_error(ctx, loc, "select has no choices");
  Request r;
  r.kind = RequestKind::Select;
  r.name = name ? name : "";
  r.prompt = ctx->stream.text.str();
  for (int64_t i = 0; i < choices->len; ++i) r.choices.emplace_back(view(bits_str(choices->items[i])));
  r.method = method == SGL_SELECT_GREEDY          ? SelectMethod::Greedy
             : method == SGL_SELECT_UNCONDITIONAL ? SelectMethod::Unconditional
                                                  : SelectMethod::TokenLengthNormalized;
  ctx->streamed = 0;
  ctx->ex->wait_request(ctx, r);
  std::string label = r.name.empty() ? "select" : "select '" + r.name + "'";
  if (!r.error.empty()) return record_error(ctx, loc, label + ": " + r.error, SGL_ERR_ENGINE);
  if (cancelled(ctx)) return cancel(ctx, loc);
  if (r.choice < 0 || r.choice >= choices->len)
    return record_error(ctx, loc, label + ": internal error: the backend chose choice " + std::to_string(r.choice),
                        SGL_ERR_ENGINE);
  const sgl_str* win = bits_str(choices->items[r.choice]);
  append_result(ctx, view(win));
  if (!r.name.empty()) ctx->stream.bind(r.name, intern_type("s"), str_bits(win), meta_of(r));
  if (out) *out = win;
  return SGL_OK;
}

// ---- fork / join ----

int32_t sgl_fork_begin(sgl_ctx* ctx, int64_t n, const sgl_loc* loc, sgl_fork** out) {
  if (n < 1) return record_error(ctx, loc, "fork needs at least 1 branch, got " + std::to_string(n));
  if (cancelled(ctx)) return cancel(ctx, loc);
  auto* f = arena(ctx).make<sgl_fork>();
  f->parent = ctx;
  f->n = n;
  f->base = ctx->stream.fork();
  f->children.assign(static_cast<size_t>(n), nullptr);
  if (f->base.text.size() > 0) {
    // Commit the shared prefix once, before any branch asks for it.
    Request r;
    r.kind = RequestKind::Prefill;
    r.prompt = f->base.text.str();
    r.gen.max_tokens = 0;
    ctx->ex->wait_request(ctx, r);
    if (!r.error.empty()) return record_error(ctx, loc, "fork: " + r.error, SGL_ERR_ENGINE);
  }
  *out = f;
  return SGL_OK;
}

void sgl_fork_start(sgl_ctx* ctx, sgl_fork* f, int64_t index, sgl_branch_fn body, void* env, uint64_t item) {
  if (!f || index < 0 || index >= f->n || f->children[static_cast<size_t>(index)]) return;
  sgl_ctx* child = ctx->ex->start_child(ctx, InstanceKind::Branch, f->base.fork(), index,
                                        [body, env, index, item](sgl_ctx* c) { return body(c, env, index, item); });
  child->fork = f;
  f->children[static_cast<size_t>(index)] = child;
  ++f->running;
}

int32_t sgl_fork_join(sgl_ctx* ctx, sgl_fork* f, const sgl_loc* loc, sgl_list** out) {
  (void)loc;
  if (f->running > 0) {
    f->waiting = true;
    ctx->ex->suspend(ctx);
  }
  // Every branch has finished: the first failure (by index) fails the join.
  for (sgl_ctx* c : f->children)
    if (c && c->status < 0) {
      if (ctx->error.empty()) ctx->error = c->error;
      return c->status;
    }
  sgl_list* l = make_list(arena(ctx), "B", f->n);
  for (sgl_ctx* c : f->children)
    if (c) list_push(arena(ctx), l, reinterpret_cast<uint64_t>(arena(ctx).make<sgl_branch>(sgl_branch{c})));
  *out = l;
  return SGL_OK;
}

int32_t sgl_branch_var(sgl_ctx* ctx, const sgl_branch* b, const char* name, const char* type, const sgl_loc* loc,
                       uint64_t* out) {
  return read_var(ctx, b->inst, name, type, loc, "branch " + std::to_string(b->inst->index), out);
}

const sgl_str* sgl_branch_text(sgl_ctx* ctx, const sgl_branch* b) {
  // What the branch wrote after the fork; the shared prefix is the parent's text.
  const SharedText& t = b->inst->stream.text;
  size_t start = b->inst->fork ? b->inst->fork->base.text.size() : 0;
  return make_str(arena(ctx), t.substr(start, t.size()));
}

int32_t sgl_branches_var(sgl_ctx* ctx, const sgl_list* branches, const char* name, const char* type,
                         const sgl_loc* loc, sgl_list** out) {
  sgl_list* l = make_list(arena(ctx), type, branches ? branches->len : 0);
  for (int64_t i = 0; branches && i < branches->len; ++i) {
    auto* b = reinterpret_cast<const sgl_branch*>(branches->items[i]);
    uint64_t bits = 0;
    if (int32_t st = sgl_branch_var(ctx, b, name, type, loc, &bits); st != SGL_OK) return st;
    list_push(arena(ctx), l, bits);
  }
  *out = l;
  return SGL_OK;
}

// ---- spawn ----

sgl_task* sgl_spawn(sgl_ctx* ctx, sgl_spawn_fn fn, void* env) {
  sgl_ctx* child = ctx->ex->start_child(ctx, InstanceKind::Task, Stream{}, 0,
                                        [fn, env](sgl_ctx* c) { return fn(c, env, &c->task_result); });
  return arena(ctx).make<sgl_task>(sgl_task{child});
}

int32_t sgl_task_result(sgl_ctx* ctx, sgl_task* t, const sgl_loc* loc, uint64_t* out) {
  if (cancelled(ctx)) return cancel(ctx, loc);
  if (int32_t st = wait_for(ctx, t->inst); st != SGL_OK) return st;
  *out = t->inst->task_result;
  return SGL_OK;
}

int32_t sgl_task_text(sgl_ctx* ctx, sgl_task* t, const sgl_loc* loc, const sgl_str** out) {
  if (cancelled(ctx)) return cancel(ctx, loc);
  if (int32_t st = wait_for(ctx, t->inst); st != SGL_OK) return st;
  *out = make_str(arena(ctx), t->inst->stream.text.str());
  return SGL_OK;
}

int32_t sgl_task_var(sgl_ctx* ctx, sgl_task* t, const char* name, const char* type, const sgl_loc* loc,
                     uint64_t* out) {
  if (cancelled(ctx)) return cancel(ctx, loc);
  if (int32_t st = wait_for(ctx, t->inst); st != SGL_OK) return st;
  return read_var(ctx, t->inst, name, type, loc, "the task", out);
}

}  // extern "C"
