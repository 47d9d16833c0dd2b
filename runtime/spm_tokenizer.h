// SentencePiece-style vocabularies: pieces with scores, merged greedily by score (llama.cpp's SPM
// algorithm) with byte fallback, for GGUF "llama" vocabularies and llama2.c tok*.bin files; and
// real SentencePiece models (tokenizer.model) through libsentencepiece.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenizer.h"

namespace sgl {

class GgufFile;

std::unique_ptr<Tokenizer> make_gguf_spm_tokenizer(const GgufFile& g);
// vocab_size < 0: read pieces until the end of the file.
std::unique_ptr<Tokenizer> make_llama2c_tokenizer(const std::string& path, int32_t vocab_size);
std::unique_ptr<Tokenizer> make_sentencepiece_tokenizer(const std::string& model_file);

}  // namespace sgl

namespace sgl {
// A score-merged vocabulary from parts (types as GGUF token_type: 1 normal, 2 unknown, 3 control,
// 6 byte); used for the random-weights models' synthetic vocabulary.
std::unique_ptr<Tokenizer> make_spm_vocab_tokenizer(std::vector<std::string> pieces, std::vector<float> scores,
                                                    std::vector<uint8_t> types, int32_t bos, int32_t eos);
}  // namespace sgl
