// Jump-forward decoding: when the automaton forces a run of bytes, append it without a model
// step. The run is re-tokenised together with the last few generated tokens, so the model sees
// the tokenisation its tokenizer would produce for that text, not an artificial split.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lazy_dfa.h"
#include "vocabulary.h"

namespace sgl::constraint {

// Tokenizer callback contract: returns the token ids the tokenizer produces for `text` alone,
// with no BOS/EOS and no added prefix space (sentencepiece callers must strip the dummy prefix).
// It must be deterministic; it is called once per jump with text of a few dozen bytes.
using TokenizeFn = std::function<std::vector<int32_t>(std::string_view text)>;

struct JumpForward {
  std::string forced;                 // bytes the automaton forces (may be empty: no jump)
  size_t keep_tokens = 0;             // keep tokens[0 .. keep_tokens), drop the rest
  std::vector<int32_t> append_tokens; // then append these (re-tokenised tail + forced run)
  int32_t state = LazyDfa::kDead;     // automaton state after the forced run
};

// `tokens` are the tokens generated under this constraint so far (their bytes, concatenated, took
// the automaton from its start to `state`). Up to `retokenize_tokens` trailing tokens are merged
// with the forced run and re-tokenised. The forced run is cut back to a UTF-8 character boundary
// so a multi-byte character is never split. Returns forced == "" when nothing is forced. The
// caller feeds append_tokens to the model as a prefill, sets the request's constraint state to
// `state`, and continues sampling with masks from there.
JumpForward jump_forward(LazyDfa& dfa, int32_t state, const Vocabulary& vocab,
                         std::span<const int32_t> tokens, const TokenizeFn& tokenize,
                         size_t retokenize_tokens = 1, size_t max_forced = 256);

}  // namespace sgl::constraint
