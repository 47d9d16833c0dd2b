// The constraint library's view of a model's tokenizer: every token's bytes as they appear in the
// middle of a text, which tokens are special, and which end generation. Works for every tokenizer
// runtime/tokenizer.h loads (llama2.c, GGUF, tokenizer.json, tokenizer.model).
#pragma once

#include <string>

#include "constraint/vocabulary.h"
#include "tokenizer.h"

namespace sgl {

constraint::Vocabulary vocabulary_from_tokenizer(const Tokenizer& tok);

// load_tokenizer(path) then vocabulary_from_tokenizer. Throws ModelError.
constraint::Vocabulary load_model_vocabulary(const std::string& model_path);

}  // namespace sgl
