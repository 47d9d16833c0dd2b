// Rx: the one representation every constraint lowers to (regex, JSON schema, choices, typed
// targets). It is a regular-expression tree over Unicode code points and raw bytes; nfa.h turns
// it into a byte-level automaton.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sgl::constraint {

// Inclusive code point range. Surrogates (U+D800..U+DFFF) are never encodable and are dropped
// when a set is lowered to UTF-8.
struct CodeRange {
  char32_t lo, hi;
  bool operator==(const CodeRange&) const = default;
};

constexpr char32_t kMaxCodePoint = 0x10FFFF;
constexpr uint32_t kUnbounded = UINT32_MAX;

enum class RxKind : uint8_t {
  Empty,    // matches only the empty string
  Nothing,  // matches no string at all
  Chars,    // one code point from `ranges` (sorted, disjoint), encoded as UTF-8
  Literal,  // the exact bytes in `text` (any bytes; JSON keys and enum values use it)
  Concat,   // kids in order
  Alt,      // any one of kids
  Repeat,   // kids[0] repeated min..max times (max may be kUnbounded)
};

struct RxNode;
// Nodes are immutable and may be shared (a DAG); the NFA builder memoises shared nodes.
using Rx = std::shared_ptr<const RxNode>;

struct RxNode {
  RxKind kind = RxKind::Empty;
  uint32_t min = 0, max = 0;
  std::vector<CodeRange> ranges;
  std::string text;
  std::vector<Rx> kids;
};

Rx rx_empty();
Rx rx_nothing();
// Normalises (sorts, merges) the ranges; an empty set gives rx_nothing().
Rx rx_chars(std::vector<CodeRange> ranges);
Rx rx_char(char32_t c);
Rx rx_literal(std::string_view bytes);
Rx rx_concat(std::vector<Rx> kids);
Rx rx_alt(std::vector<Rx> kids);
Rx rx_repeat(Rx kid, uint32_t min, uint32_t max);
inline Rx rx_star(Rx kid) { return rx_repeat(std::move(kid), 0, kUnbounded); }
inline Rx rx_plus(Rx kid) { return rx_repeat(std::move(kid), 1, kUnbounded); }
inline Rx rx_opt(Rx kid) { return rx_repeat(std::move(kid), 0, 1); }

// Set algebra on normalised range lists (used for negated classes and JSON escaping).
std::vector<CodeRange> normalize_ranges(std::vector<CodeRange> ranges);
std::vector<CodeRange> complement_ranges(const std::vector<CodeRange>& ranges);
std::vector<CodeRange> subtract_ranges(const std::vector<CodeRange>& a,
                                       const std::vector<CodeRange>& b);

// Appends the UTF-8 encoding of c.
void append_utf8(std::string& out, char32_t c);

// Debug text of the tree (regex-like, not meant to be re-parsed).
std::string rx_to_string(const Rx& rx);

}  // namespace sgl::constraint
