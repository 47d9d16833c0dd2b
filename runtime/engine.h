// The model engine interface the scheduler drives: one call runs a batch of sequences of
// different lengths (prefills and single-token decodes mixed) and returns their logits. K/V live
// in a KvPool owned by the engine; callers say, per sequence, which slot holds each position.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kv_pool.h"
#include "model.h"

namespace sgl {

struct SeqInput {
  std::span<const int32_t> tokens;  // the new tokens to run
  int32_t pos = 0;                  // position of tokens[0] (how many tokens are already in K/V)
  // Slot of every position 0 .. pos + tokens.size() - 1. Slots before `pos` must hold K/V written
  // by an earlier forward (possibly another sequence's: shared prefixes); the engine writes the rest.
  std::span<const int32_t> slots;
  bool all_logits = false;  // logits for every new token (scoring, select); otherwise the last only
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const ModelConfig& config() const = 0;
  // The caller allocates and releases slots; the engine only reads and writes them.
  virtual KvPool& kv_pool() = 0;
  // Runs the batch; `logits` receives vocab_size floats per requested row, sequences in order
  // (each sequence: tokens.size() rows if all_logits, else one). Throws std::invalid_argument on
  // bad positions or slots.
  virtual void forward(std::span<const SeqInput> batch, std::vector<float>& logits) = 0;
};

struct CpuEngineOptions {
  int threads = 0;         // 0: all cores
  int32_t kv_slots = 0;    // 0: the model's context length (capped at 8192)
};

std::unique_ptr<Engine> make_cpu_engine(std::shared_ptr<const Model> model, const CpuEngineOptions& opt);

}  // namespace sgl
