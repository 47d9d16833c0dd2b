// Builds the preorder trie from the token strings sorted bytewise: walking them in order, each
// string shares its longest common prefix with the previous one, so nodes are created exactly
// in preorder and a node's subtree ends when the walk pops back above it.
#include "token_trie.h"

#include <algorithm>
#include <mutex>
#include <string_view>

namespace sgl::constraint {

namespace {

uint8_t plain_next(int u, uint8_t b) {
  auto in = [b](unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  constexpr uint8_t dead = TokenTrie::kTextDead;
  switch (u) {
    case 0:  // boundary
      if (in(0x20, 0x7F)) return b == '"' || b == '\\' ? dead : 0;
      if (in(0xC2, 0xDF)) return 1;
      if (b == 0xE0) return 2;
      if (in(0xE1, 0xEC) || in(0xEE, 0xEF)) return 3;
      if (b == 0xED) return 4;
      if (b == 0xF0) return 5;
      if (in(0xF1, 0xF3)) return 6;
      if (b == 0xF4) return 7;
      return dead;
    case 1: return in(0x80, 0xBF) ? 0 : dead;  // one continuation byte left
    case 2: return in(0xA0, 0xBF) ? 1 : dead;  // after E0 (no overlong forms)
    case 3: return in(0x80, 0xBF) ? 1 : dead;  // two continuation bytes left
    case 4: return in(0x80, 0x9F) ? 1 : dead;  // after ED (no surrogates)
    case 5: return in(0x90, 0xBF) ? 3 : dead;  // after F0 (no overlong forms)
    case 6: return in(0x80, 0xBF) ? 3 : dead;  // three continuation bytes left
    case 7: return in(0x80, 0x8F) ? 3 : dead;  // after F4 (nothing past U+10FFFF)
    default: return dead;
  }
}

}  // namespace

uint8_t TokenTrie::text_next(int cls, int u, uint8_t b) {
  bool alpha = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
  switch (cls) {
    case kAlpha: return u == 0 && alpha ? 0 : kTextDead;
    case kAlnum: return u == 0 && (alpha || (b >= '0' && b <= '9')) ? 0 : kTextDead;
    case kPlain: return plain_next(u, b);
    default: return kTextDead;
  }
}

struct TokenTrie::Lazy {
  std::once_flag once[kTextClasses];
  ClassIndex index[kTextClasses];
};

TokenTrie::~TokenTrie() = default;

TokenTrie::TokenTrie(std::shared_ptr<const Vocabulary> vocab, bool include_special)
    : TokenTrie(std::move(vocab), include_special, nullptr) {}

TokenTrie::TokenTrie(std::shared_ptr<const Vocabulary> vocab, bool include_special,
                     const std::vector<uint8_t>* keep)
    : vocab_(std::move(vocab)), include_special_(include_special), lazy_(std::make_unique<Lazy>()) {
  const auto& toks = vocab_->tokens;
  std::vector<int32_t> order;
  order.reserve(toks.size());
  for (size_t i = 0; i < toks.size(); ++i) {
    bool special = i < vocab_->special.size() && vocab_->special[i];
    if (!toks[i].empty() && (!special || include_special) && (!keep || (*keep)[i]))
      order.push_back(static_cast<int32_t>(i));
  }
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return std::string_view(toks[a]) < std::string_view(toks[b]);
  });
  nodes_.reserve(order.size() * 3);
  ids_.reserve(order.size());
  chars_.reserve(order.size());
  nodes_.push_back({0, kNoBulk, 0, 0, 0});
  std::vector<uint32_t> stack = {0};  // path of node indices; stack[d] has depth d
  std::string_view prev;
  for (int32_t id : order) {
    std::string_view s(toks[id]);
    size_t lcp = 0;
    while (lcp < prev.size() && lcp < s.size() && prev[lcp] == s[lcp]) ++lcp;
    while (stack.size() > lcp + 1) {
      nodes_[stack.back()].end = static_cast<uint32_t>(nodes_.size());
      stack.pop_back();
    }
    for (size_t d = lcp; d < s.size(); ++d) {
      stack.push_back(static_cast<uint32_t>(nodes_.size()));
      nodes_.push_back({static_cast<uint8_t>(s[d]), kNoBulk, static_cast<uint16_t>(std::min<size_t>(d + 1, 65535)),
                        0, static_cast<uint32_t>(ids_.size())});
    }
    ids_.push_back(id);
    size_t chars = 0;
    for (char ch : s) chars += (static_cast<uint8_t>(ch) & 0xC0) != 0x80;
    chars_.push_back(static_cast<uint8_t>(std::min<size_t>(chars, 255)));
    prev = s;
  }
  while (!stack.empty()) {
    nodes_[stack.back()].end = static_cast<uint32_t>(nodes_.size());
    stack.pop_back();
  }
  // Bulk classes, bottom-up (children follow their parent in preorder). ok[c][i] bit u: every
  // token continues after node i with class c text when c's automaton is in state u there;
  // height[i]: the most characters any token starts after node i.
  const size_t n = nodes_.size();
  // via[c][b][m]: the states u of class c whose move on byte b lands in the state set m.
  static uint8_t via[kTextClasses][256][256];
  static const bool filled = [] {
    for (int c = 0; c < kTextClasses; ++c)
      for (int b = 0; b < 256; ++b)
        for (int m = 0; m < 256; ++m) {
          uint8_t v = 0;
          for (int u = 0; u < kTextStates; ++u) {
            uint8_t t = text_next(c, u, static_cast<uint8_t>(b));
            if (t != kTextDead && (m >> t & 1)) v = static_cast<uint8_t>(v | 1u << u);
          }
          via[c][b][m] = v;
        }
    return true;
  }();
  (void)filled;
  struct Ok {
    uint8_t m[kTextClasses];
  };
  std::vector<Ok> ok(n, Ok{{0xFF, 0xFF, 0xFF}});
  std::vector<uint16_t> height(n, 0);  // in characters started (bytes that are not 10xxxxxx)
  for (size_t i = n; i-- > 1;) {
    Ok o{{0xFF, 0xFF, 0xFF}};
    uint16_t h = 0;
    for (size_t c = i + 1; c < nodes_[i].end; c = nodes_[c].end) {
      const uint8_t b = nodes_[c].byte;
      for (int k = 0; k < kTextClasses; ++k) o.m[k] &= via[k][b][ok[c].m[k]];
      h = std::max<uint16_t>(h, static_cast<uint16_t>(height[c] + ((b & 0xC0) != 0x80)));
    }
    height[i] = h;
    ok[i] = o;
    if (h > kMaxBulkHeight) continue;
    for (int k = 0; k < kTextClasses; ++k)
      if (o.m[k] & 1) {
        nodes_[i].bulk = static_cast<uint8_t>(k << 6 | h);
        break;
      }
  }
  // Sentinel so that tok_begin of node i+1 always exists.
  nodes_.push_back({0, kNoBulk, 0, static_cast<uint32_t>(nodes_.size() + 1), static_cast<uint32_t>(ids_.size())});
}

const TokenTrie::ClassIndex& TokenTrie::class_index(int cls) const {
  std::call_once(lazy_->once[cls], [&] {
    ClassIndex& ix = lazy_->index[cls];
    const Vocabulary& v = *vocab_;
    std::vector<uint8_t> other(v.size(), 0);
    std::vector<TokenMask> exactly(kMaxExactChars + 1, TokenMask(v.size()));
    // A preorder scan of this trie with the class automaton's state and character count per
    // depth: a node whose byte the class refuses puts its whole subtree in `rest`.
    std::vector<uint8_t> state(65536, 0), chars(65536, 0);  // per depth (depth is 16-bit)
    auto mark_other = [&](uint32_t b, uint32_t e) {
      for (uint32_t k = b; k < e; ++k) other[static_cast<size_t>(ids_[k])] = 1;
    };
    const size_t n = nodes_.size() - 1;
    for (size_t i = 1; i < n;) {
      const Node& x = nodes_[i];
      const uint8_t u = state[x.depth - 1];
      const int c = chars[x.depth - 1] + (u == 0);
      const uint8_t t = text_next(cls, u, x.byte);
      if (t == kTextDead || c > kMaxExactChars) {
        mark_other(x.tok_begin, nodes_[x.end].tok_begin);
        i = x.end;
        continue;
      }
      state[x.depth] = t;
      chars[x.depth] = static_cast<uint8_t>(c);
      for (uint32_t k = x.tok_begin; k < nodes_[i + 1].tok_begin; ++k) exactly[static_cast<size_t>(c)].set(ids_[k]);
      ix.class_tokens += nodes_[i + 1].tok_begin - x.tok_begin;
      ++i;
    }
    ix.up_to = std::move(exactly);
    for (size_t k = 1; k < ix.up_to.size(); ++k)
      for (size_t w = 0; w < ix.up_to[k].words.size(); ++w) ix.up_to[k].words[w] |= ix.up_to[k - 1].words[w];
    ix.rest.reset(new TokenTrie(vocab_, include_special_, &other));
  });
  return lazy_->index[cls];
}

}  // namespace sgl::constraint
