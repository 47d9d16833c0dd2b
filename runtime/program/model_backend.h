// The real-model backend: serves gen, select and prefill requests with the CPU engine. All
// pending requests share one Engine::forward per step (prefills and decodes mixed); KV slots come
// from the engine's pool and are released when a request finishes (no prefix sharing until the
// radix cache of issue 5).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "backend.h"

namespace sgl {

struct Model;
class Tokenizer;

struct ModelBackendOptions {
  int threads = 0;       // 0: all cores
  int32_t kv_slots = 0;  // 0: sized from the model's context and a memory budget
};

// model_spec: a llama2.c .bin, a .gguf, a Hugging Face folder, or "random:LIKE[:DTYPE]". Throws
// ModelError (a one-line message) when it cannot be loaded.
std::unique_ptr<Backend> make_model_backend(const std::string& model_spec, const ModelBackendOptions& o);
std::unique_ptr<Backend> make_model_backend(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tok,
                                            const ModelBackendOptions& o);

}  // namespace sgl
