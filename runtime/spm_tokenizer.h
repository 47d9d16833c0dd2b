// SentencePiece-style vocabularies: pieces with scores, merged greedily by score (llama.cpp's SPM
// algorithm) with byte fallback, for GGUF "llama" vocabularies and llama2.c tok*.bin files; and
// real SentencePiece models (tokenizer.model) through libsentencepiece.
#pragma once

#include <memory>
#include <string>

#include "tokenizer.h"

namespace sgl {

class GgufFile;

std::unique_ptr<Tokenizer> make_gguf_spm_tokenizer(const GgufFile& g);
// vocab_size < 0: read pieces until the end of the file.
std::unique_ptr<Tokenizer> make_llama2c_tokenizer(const std::string& path, int32_t vocab_size);
std::unique_ptr<Tokenizer> make_sentencepiece_tokenizer(const std::string& model_file);

}  // namespace sgl
