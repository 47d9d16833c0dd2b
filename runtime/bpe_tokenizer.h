// Byte-pair-encoding tokenizers: byte-level BPE (GPT-2 byte alphabet; Llama 3, Qwen2) from
// tokenizer.json or a GGUF "gpt2" vocabulary, with the pre-tokenizer regex run through RE2, and
// SentencePiece-style BPE from tokenizer.json (U+2581 spaces, byte fallback).
#pragma once

#include <memory>
#include <string>

#include "tokenizer.h"

namespace sgl {

class GgufFile;

std::unique_ptr<Tokenizer> make_gguf_bpe_tokenizer(const GgufFile& g);
std::unique_ptr<Tokenizer> make_hf_json_tokenizer(const std::string& tokenizer_json);

// Rewrites a Hugging Face (Oniguruma/fancy-regex) pre-tokenizer pattern for RE2: \s and \S become
// explicit Unicode whitespace classes, and the lookahead alternative `\s+(?!\S)` is removed
// (*lookahead set true); the caller then trims whitespace-only matches as that alternative would.
std::string hf_regex_to_re2(const std::string& pattern, bool* lookahead);

// Splits text with a (rewritten) pre-tokenizer regex, emulating `\s+(?!\S)` when asked.
class PreTokenizer {
 public:
  PreTokenizer(const std::string& hf_pattern);
  std::vector<std::string> split(std::string_view text) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sgl
