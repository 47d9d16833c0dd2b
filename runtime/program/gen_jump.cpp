// Jump-forward planning for the model backend (see gen_jump.h).
#include "gen_jump.h"

#include "jump_forward.h"
#include "tokenizer.h"

namespace sgl {
namespace {

using constraint::LazyDfa;
using constraint::TokenTrie;

std::string spell(const constraint::Vocabulary& v, std::span<const int32_t> ids) {
  std::string s;
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= v.size()) return "\x01<bad id>";
    s += v.tokens[static_cast<size_t>(id)];
  }
  return s;
}

// The trie node spelling `bytes`, or 0 (the root) when no node does.
uint32_t find_node(const TokenTrie& trie, std::string_view bytes) {
  const auto& nodes = trie.nodes();
  uint32_t p = 0;
  for (char c : bytes) {
    const uint8_t b = static_cast<uint8_t>(c);
    uint32_t child = p + 1, found = 0;
    while (child < nodes[p].end) {
      if (nodes[child].byte == b) {
        found = child;
        break;
      }
      child = nodes[child].end;
    }
    if (!found) return 0;
    p = found;
  }
  return p;
}

// True when some token strictly extending `bytes` is allowed from automaton state `s`: a
// preorder walk of the subtree below the node of `bytes`, skipping subtrees the automaton rejects.
bool extensible(constraint::TokenMasker& m, int32_t s, std::string_view bytes) {
  const TokenTrie& trie = m.trie();
  const auto& nodes = trie.nodes();
  LazyDfa& dfa = m.dfa();
  const uint32_t n = find_node(trie, bytes);
  if (n == 0) return false;
  const int32_t at = dfa.walk(s, bytes);
  if (at == LazyDfa::kDead) return false;
  std::vector<int32_t> by_depth(static_cast<size_t>(nodes[n].depth) + 1, LazyDfa::kDead);
  by_depth.back() = at;
  for (uint32_t i = n + 1; i < nodes[n].end;) {
    const size_t d = nodes[i].depth;
    const int32_t st = dfa.next(by_depth[d - 1], nodes[i].byte);
    if (st == LazyDfa::kDead) {
      i = nodes[i].end;
      continue;
    }
    if (nodes[i + 1].tok_begin > nodes[i].tok_begin) return true;  // a token ends here
    if (by_depth.size() <= d) by_depth.resize(d + 1);
    by_depth[d] = st;
    ++i;
  }
  return false;
}

}  // namespace

std::vector<int32_t> tokenize_fragment(const Tokenizer& tok, const constraint::Vocabulary& vocab,
                                       std::string_view text) {
  if (text.empty()) return {};
  std::vector<int32_t> ids = tok.encode(text, false, false);
  if (spell(vocab, ids) == text) return ids;
  // A SentencePiece dummy prefix (or a tokenizer that adds BOS regardless): tokenise after a
  // newline, which no piece crosses in the vocabularies we serve, and cut where the text starts.
  ids = tok.encode(std::string("\n") + std::string(text), false, false);
  const std::string whole = spell(vocab, ids);
  if (whole.size() < text.size() || whole.compare(whole.size() - text.size(), text.size(), text) != 0) return {};
  const size_t cut = whole.size() - text.size();
  size_t at = 0;
  for (size_t i = 0; i < ids.size() && at <= cut; ++i) {
    if (at == cut) return std::vector<int32_t>(ids.begin() + static_cast<ptrdiff_t>(i), ids.end());
    at += vocab.tokens[static_cast<size_t>(ids[i])].size();
  }
  return {};
}

bool plan_jump(constraint::TokenMasker& masker, int32_t tail_state, int32_t state,
               std::span<const int32_t> generated, size_t retokenize, const Tokenizer& tok, JumpPlan* out,
               size_t max_forced) {
  const constraint::Vocabulary& vocab = masker.trie().vocab();
  LazyDfa& dfa = masker.dfa();
  retokenize = std::min(retokenize, generated.size());
  bool failed = false;
  constraint::TokenizeFn fn = [&](std::string_view text) {
    std::vector<int32_t> ids = tokenize_fragment(tok, vocab, text);
    failed = ids.empty();
    return ids;
  };
  constraint::JumpForward jf = constraint::jump_forward(dfa, state, vocab, generated, fn, retokenize, max_forced);
  if (jf.forced.empty() || failed || jf.append_tokens.empty()) return false;
  const std::string tail = spell(vocab, generated.subspan(jf.keep_tokens));
  std::vector<int32_t>& app = jf.append_tokens;
  // Healing: do not force a last token that the model could have extended.
  while (!app.empty()) {
    const std::string before = spell(vocab, std::span<const int32_t>(app).first(app.size() - 1));
    const int32_t s = dfa.walk(tail_state, before);
    if (s == LazyDfa::kDead || !extensible(masker, s, vocab.tokens[static_cast<size_t>(app.back())])) break;
    app.pop_back();
  }
  const std::string all = spell(vocab, app);
  if (all.size() <= tail.size() || all.compare(0, tail.size(), tail) != 0) return false;
  const int32_t end = dfa.walk(tail_state, all);
  if (end == LazyDfa::kDead) return false;
  out->keep = jf.keep_tokens;
  out->append = std::move(app);
  out->text = all.substr(tail.size());
  out->state = end;
  return true;
}

}  // namespace sgl
