// The plain vocabulary interface the constraint library needs from a tokenizer: each token id's
// exact byte string, which ids are special, and which end the sequence. Any tokenizer can fill
// it (vocab_bytes.h reads one from tokenizer.json or tokenizer.model files).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sgl::constraint {

struct Vocabulary {
  // tokens[id]: the bytes the token decodes to, byte-fallback tokens (<0x0A>) already mapped to
  // their byte and sentencepiece's U+2581 to a space. For special tokens, their literal text.
  std::vector<std::string> tokens;
  // special[id] != 0: a control/added token (BOS, EOS, <|eot_id|>...). Excluded from masks unless
  // the trie is built with include_special; EOS ids are handled separately.
  std::vector<uint8_t> special;
  // Ids that end generation; allowed exactly in accepting states.
  std::vector<int32_t> eos_ids;

  size_t size() const { return tokens.size(); }
};

}  // namespace sgl::constraint
