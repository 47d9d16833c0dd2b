// Builds the constraint Vocabulary from a loaded Tokenizer (see tokenizer_vocab.h).
#include "tokenizer_vocab.h"

namespace sgl {

constraint::Vocabulary vocabulary_from_tokenizer(const Tokenizer& tok) {
  constraint::Vocabulary v;
  int32_t n = tok.vocab_size();
  v.tokens.resize(n);
  v.special.assign(n, 0);
  // Generated text always follows the prompt, so ask for each token's bytes after an ordinary
  // token: SentencePiece drops a word's leading space only at the start or right after BOS.
  int32_t prev = tok.bos_id() == 0 ? 1 : 0;
  for (int32_t id = 0; id < n; ++id) {
    std::string bytes = tok.token_bytes(id, prev);
    if (bytes.empty()) {
      // Control, unused and special tokens decode to nothing; they never satisfy a constraint.
      v.special[id] = 1;
      v.tokens[id] = tok.piece(id);
    } else {
      v.tokens[id] = std::move(bytes);
    }
  }
  v.eos_ids = tok.stop_ids();
  if (v.eos_ids.empty() && tok.eos_id() >= 0) v.eos_ids.push_back(tok.eos_id());
  return v;
}

constraint::Vocabulary load_model_vocabulary(const std::string& model_path) {
  return vocabulary_from_tokenizer(*load_tokenizer(model_path));
}

}  // namespace sgl
