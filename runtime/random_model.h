// Deterministic random-weights models (like vLLM's --load-format dummy): the shapes of a known
// model, weights from a seeded generator, and a synthetic SentencePiece-style vocabulary. Built in
// memory for `--model random:LIKE[:DTYPE]`, or written as GGUF / Hugging Face files for other tools.
#pragma once

#include <memory>
#include <string>

#include "model.h"
#include "tokenizer.h"

namespace sgl {

// LIKE: stories15M, stories260K, tinyllama-1.1b, llama-3.2-1b, or a path to a HF config.json.
// Throws ModelError for unknown names.
ModelConfig random_model_config(const std::string& like);

std::unique_ptr<Model> make_random_model(const ModelConfig& c, DType dtype, uint64_t seed = 1234);
std::unique_ptr<Tokenizer> make_random_tokenizer(const ModelConfig& c);

// GGUF (any dtype; llama.cpp loads it) or a Hugging Face folder (f32, f16, bf16 only).
void write_random_gguf(const ModelConfig& c, DType dtype, uint64_t seed, const std::string& path);
void write_random_hf(const ModelConfig& c, DType dtype, uint64_t seed, const std::string& dir);

// "random:LIKE[:DTYPE]" -> true and the parts; other strings -> false.
bool parse_random_spec(const std::string& spec, std::string* like, DType* dtype);

}  // namespace sgl
