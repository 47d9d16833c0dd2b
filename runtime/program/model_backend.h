// The real-model backend: serves gen, select and prefill requests with the CPU engine through the
// serving core's scheduler (runtime/serve): continuous batching across every pending request of
// every program instance, the radix prefix cache (fork prefixes, few-shot prefixes and batch
// prefixes are computed once), chunked prefill and retraction. The backend keeps what is textual
// (tokenising prompts, sampling, stop strings, constraint masks, streaming, select scoring); the
// scheduler owns the engine's whole KV pool and decides what is computed and kept.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "backend.h"
#include "scheduler.h"

namespace sgl {

struct Model;
class Tokenizer;

struct ModelBackendOptions {
  // --device auto|cpu|cuda (engine_factory.h: auto is the CPU engine until the CUDA engine has
  // been verified on a GPU). A device that cannot be used throws ModelError-like runtime_error.
  std::string device = "auto";
  double mem_fraction_static = 0;  // CUDA: share of free GPU memory for the KV pool (0: default)
  int threads = 0;  // 0: all cores
  // KV pool size in token slots. 0: sched.max_total_tokens when that is set, else from
  // kv_cache_bytes (default budget: 1 GiB, between one context and 65,536 slots).
  // On CUDA: kv_slots or sched.max_total_tokens when set, else from mem_fraction_static.
  int32_t kv_slots = 0;
  int64_t kv_cache_bytes = 0;  // CPU byte budget for K/V (0: the default budget above)
  // Scheduling and cache options (--max-total-tokens, --page-size, --disable-radix-cache,
  // --chunked-prefill-size, --max-running-requests, --schedule-policy).
  serve::SchedulerOptions sched;
  // Jump-forward for constrained gens (gen_jump.h): bytes the constraint forces are appended as
  // one prefill chunk instead of sampled token by token. Off with --disable-jump-forward; never
  // used for gens that want logprobs, nor without the radix cache (each jump restarts the
  // request, and only the cache keeps the work done before it).
  bool jump_forward = true;
};

// model_spec: a llama2.c .bin, a .gguf, a Hugging Face folder, or "random:LIKE[:DTYPE]". Throws
// ModelError (a one-line message) when it cannot be loaded, std::invalid_argument for options
// the scheduler cannot work with (a pool smaller than one page).
std::unique_ptr<Backend> make_model_backend(const std::string& model_spec, const ModelBackendOptions& o);
std::unique_ptr<Backend> make_model_backend(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tok,
                                            const ModelBackendOptions& o);

}  // namespace sgl
