// Jump-forward (see jump_forward.h). Cutting at a character boundary matters because byte-level
// tokenizers merge a whole character's bytes, and a tail token split inside a character would
// never be produced by the tokenizer.
#include "jump_forward.h"

namespace sgl::constraint {

namespace {
// Length of the longest prefix of s that does not end inside a UTF-8 character.
size_t utf8_boundary(std::string_view s) {
  size_t n = s.size();
  size_t i = n;
  // Step back over at most 3 continuation bytes to the last lead byte.
  while (i > 0 && n - i < 4 && (static_cast<unsigned char>(s[i - 1]) & 0xC0) == 0x80) --i;
  if (i == 0) return n;
  unsigned char lead = static_cast<unsigned char>(s[i - 1]);
  size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return (n - (i - 1) >= need) ? n : i - 1;
}
}  // namespace

JumpForward jump_forward(LazyDfa& dfa, int32_t state, const Vocabulary& vocab,
                         std::span<const int32_t> tokens, const TokenizeFn& tokenize,
                         size_t retokenize_tokens, size_t max_forced) {
  JumpForward out;
  out.keep_tokens = tokens.size();
  out.state = state;
  std::string forced = dfa.forced_bytes(state, max_forced);
  forced.resize(utf8_boundary(forced));
  if (forced.empty()) return out;
  out.forced = forced;
  out.state = dfa.walk(state, forced);
  size_t k = std::min(retokenize_tokens, tokens.size());
  std::string tail;
  for (size_t i = tokens.size() - k; i < tokens.size(); ++i) tail += vocab.tokens[tokens[i]];
  out.keep_tokens = tokens.size() - k;
  out.append_tokens = tokenize(tail + forced);
  return out;
}

}  // namespace sgl::constraint
