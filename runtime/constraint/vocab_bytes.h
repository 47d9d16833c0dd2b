// Reads a Vocabulary (token byte strings, special flags, EOS ids) from a Hugging Face
// tokenizer.json with byte-level BPE (GPT-2 byte-to-unicode map; Llama 3) or a sentencepiece
// tokenizer.model (Llama 2). A stop-gap until runtime/tokenizer* offers the same data: merge it
// there then.
#pragma once

#include <string>

#include "vocabulary.h"

namespace sgl::constraint {

// Dispatches on the extension: .json -> tokenizer.json, anything else -> sentencepiece model.
// Throws std::runtime_error when the file cannot be read or has an unknown layout.
Vocabulary load_vocabulary(const std::string& path);
Vocabulary load_tokenizer_json(const std::string& path);
Vocabulary load_sentencepiece_model(const std::string& path);

}  // namespace sgl::constraint
