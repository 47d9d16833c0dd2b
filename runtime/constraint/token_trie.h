// A trie of the vocabulary's token byte strings, flattened in preorder so that a mask walk is a
// linear scan that can jump over a rejected subtree in O(1).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "token_mask.h"
#include "vocabulary.h"

namespace sgl::constraint {

class TokenTrie {
 public:
  struct Node {
    uint8_t byte;  // edge byte into this node (root: unused)
    // kNoBulk, or (c << 6 | h): every token in this subtree continues after this node's byte with
    // text of class c (the smallest such TextClass) from a character boundary, of at most h (< 64)
    // characters (characters started: bytes that are not UTF-8 continuation bytes). Lets the
    // masker accept the whole subtree at once in a state that survives h characters of class c.
    uint8_t bulk;
    uint16_t depth;      // root = 0
    uint32_t end;        // one past the last node of this subtree
    uint32_t tok_begin;  // tokens ending here: token_ids()[tok_begin .. next node's tok_begin)
  };
  static constexpr uint8_t kNoBulk = 0xFF;
  static constexpr int kMaxBulkHeight = 63;

  // Nested text classes for the bulk test, each a tiny automaton over bytes: state 0 = at a
  // character boundary, next() = kTextDead when byte b cannot come next in state u.
  //   Alpha: [A-Za-z]   Alnum: [A-Za-z0-9]
  //   Plain: UTF-8 of any code point except U+0000..U+001F, '"' and '\\' (what a JSON string
  //   holds unescaped; no overlong forms, surrogates or code points past U+10FFFF), cut anywhere
  //   (a token may end inside a character): states 1..7 are inside a character.
  enum TextClass : uint8_t { kAlpha = 0, kAlnum = 1, kPlain = 2 };
  static constexpr int kTextClasses = 3;
  static constexpr int kTextStates = 8;  // an upper bound for every class
  static constexpr uint8_t kTextDead = 0xFF;
  static uint8_t text_next(int cls, int u, uint8_t b);

  // Special tokens are left out unless include_special (then they match their literal text);
  // empty byte strings are always left out (a zero-length token would never make progress).
  explicit TokenTrie(std::shared_ptr<const Vocabulary> vocab, bool include_special = false);
  ~TokenTrie();

  // The tokens whose whole text is class-c text from a character boundary ("class tokens"),
  // split by length in characters (characters started: bytes that are not UTF-8 continuation
  // bytes, so every byte for the ASCII classes), and the trie of all other tokens. A state that
  // survives exactly the class texts of at most r characters (TokenMasker::class_chars) allows
  // exactly up_to[r] among the class tokens: its mask is up_to[r] plus a walk of `rest`.
  // Built on first use, once per class (thread-safe); about (kMaxExactChars + 1) masks.
  static constexpr int kMaxExactChars = 32;
  struct ClassIndex {
    std::vector<TokenMask> up_to;  // up_to[k]: class tokens of at most k characters
    std::unique_ptr<const TokenTrie> rest;
    size_t class_tokens = 0;
  };
  const ClassIndex& class_index(int cls) const;

  const std::vector<Node>& nodes() const { return nodes_; }  // nodes_.back() is a sentinel
  const std::vector<int32_t>& token_ids() const { return ids_; }
  // Per entry of token_ids(): characters started in the token's text (bytes that are not UTF-8
  // continuation bytes), at most 255.
  const std::vector<uint8_t>& token_chars() const { return chars_; }
  const Vocabulary& vocab() const { return *vocab_; }
  size_t num_nodes() const { return nodes_.size() - 1; }
  bool include_special() const { return include_special_; }

 private:
  struct Lazy;
  // Only the tokens with keep[id] != 0 (all when keep is null).
  TokenTrie(std::shared_ptr<const Vocabulary> vocab, bool include_special, const std::vector<uint8_t>* keep);

  std::shared_ptr<const Vocabulary> vocab_;
  std::vector<Node> nodes_;
  std::vector<int32_t> ids_;
  std::vector<uint8_t> chars_;
  bool include_special_;
  std::unique_ptr<Lazy> lazy_;
};

}  // namespace sgl::constraint
