// Jump-forward for constrained gens (issue 6): when the constraint's automaton allows exactly one
// byte sequence next (a JSON key, the punctuation between fields, a regex literal), those bytes are
// appended without sampling them token by token. The model backend then feeds the new tokens as
// one prefill chunk instead of one decode step per token.
//
// Two rules keep the model's input close to what it would have produced itself:
//   - re-tokenisation at the boundary: the last sampled token is merged with the forced bytes and
//     the whole fragment is tokenised again by the model's own tokenizer (so `"` + `name": ` never
//     becomes the artificial split `"` `name` when the tokenizer has `"name`);
//   - token healing at the end: when a longer token extending the last forced token is allowed
//     there (`":` could continue as `":"`), that last token is not forced: the model samples it
//     under the mask, so it can still pick the longer token.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "token_masker.h"

namespace sgl {

class Tokenizer;

// The ids `tok` produces for `text` on its own (no BOS, no SentencePiece dummy-prefix space), or
// {} when they cannot be found: the result is checked to spell exactly `text` in `vocab`'s byte
// strings. Tries plain encoding, then encoding after a "\n" sentinel (which absorbs the dummy
// prefix) with the sentinel's tokens cut off at an exact byte boundary.
std::vector<int32_t> tokenize_fragment(const Tokenizer& tok, const constraint::Vocabulary& vocab,
                                       std::string_view text);

struct JumpPlan {
  size_t keep = 0;              // keep generated[0, keep): the rest is replaced by `append`
  std::vector<int32_t> append;  // re-tokenised tail + forced bytes (after healing)
  std::string text;             // the bytes this adds after the kept tail's bytes (non-empty)
  int32_t state = 0;            // automaton state after all of `append`
};

// `generated` are the tokens produced under the masker's constraint so far; `tail_state` is the
// automaton state after generated[0, size - retokenize) and `state` after all of them. Returns
// false when nothing is forced, the fragment cannot be re-tokenised exactly, or healing leaves no
// progress. retokenize: how many trailing generated tokens are merged (0 or 1 in practice).
bool plan_jump(constraint::TokenMasker& masker, int32_t tail_state, int32_t state,
               std::span<const int32_t> generated, size_t retokenize, const Tokenizer& tok, JumpPlan* out,
               size_t max_forced = 256);

}  // namespace sgl
