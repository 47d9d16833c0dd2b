// Recursive-descent parser for the supported RE2 subset (see regex_parser.h). It works on code
// points, since RE2 patterns are UTF-8, and builds code point classes that nfa.cpp lowers to
// UTF-8 byte sequences.
#include "regex_parser.h"

#include <re2/re2.h>

#include <string>

#include "constraint_error.h"
#include "unicode_classes.h"

namespace sgl::constraint {

namespace {

const std::vector<CodeRange> kDigit = {{'0', '9'}};
const std::vector<CodeRange> kWord = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
const std::vector<CodeRange> kSpace = {{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}};

bool posix_class(std::string_view name, std::vector<CodeRange>* out) {
  struct Entry { std::string_view name; std::vector<CodeRange> ranges; };
  static const Entry table[] = {
      {"alnum", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}}},
      {"alpha", {{'A', 'Z'}, {'a', 'z'}}},
      {"ascii", {{0, 0x7F}}},
      {"blank", {{'\t', '\t'}, {' ', ' '}}},
      {"cntrl", {{0, 0x1F}, {0x7F, 0x7F}}},
      {"digit", {{'0', '9'}}},
      {"graph", {{'!', '~'}}},
      {"lower", {{'a', 'z'}}},
      {"print", {{' ', '~'}}},
      {"punct", {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}}},
      {"space", {{'\t', '\r'}, {' ', ' '}}},
      {"upper", {{'A', 'Z'}}},
      {"word", {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}},
      {"xdigit", {{'0', '9'}, {'A', 'F'}, {'a', 'f'}}},
  };
  for (const Entry& e : table) {
    if (e.name == name) {
      *out = e.ranges;
      return true;
    }
  }
  return false;
}

struct Branch {
  Rx rx;
  bool anchored_start = false, anchored_end = false;
};

class Parser {
 public:
  explicit Parser(std::string_view p) : p_(p) {}

  std::vector<Branch> parse_top() {
    std::vector<Branch> branches = parse_alt_branches(/*top=*/true);
    if (pos_ < p_.size()) fail("unexpected ')'", pos_);
    return branches;
  }

 private:
  [[noreturn]] void fail(const std::string& what, size_t at) {
    throw ConstraintError("regex: " + what + " at offset " + std::to_string(at), at);
  }
  [[noreturn]] void unsupported(const std::string& what, size_t at) {
    fail("unsupported " + what, at);
  }

  bool eof() const { return pos_ >= p_.size(); }
  char peek() const { return eof() ? '\0' : p_[pos_]; }

  // Decodes one UTF-8 code point (RE2 already checked the pattern is valid UTF-8).
  char32_t next_cp() {
    unsigned char c = static_cast<unsigned char>(p_[pos_++]);
    if (c < 0x80) return c;
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
    char32_t cp = c & (0x3F >> extra);
    for (int i = 0; i < extra && pos_ < p_.size(); ++i)
      cp = (cp << 6) | (static_cast<unsigned char>(p_[pos_++]) & 0x3F);
    return cp;
  }

  std::vector<Branch> parse_alt_branches(bool top) {
    std::vector<Branch> out;
    for (;;) {
      out.push_back(parse_concat(top));
      if (peek() != '|') break;
      ++pos_;
    }
    return out;
  }

  Rx parse_alt() {
    std::vector<Branch> b = parse_alt_branches(false);
    std::vector<Rx> kids;
    for (Branch& x : b) kids.push_back(std::move(x.rx));
    return rx_alt(std::move(kids));
  }

  Branch parse_concat(bool top) {
    Branch b;
    std::vector<Rx> items;
    while (!eof() && peek() != '|' && peek() != ')') {
      size_t at = pos_;
      if (peek() == '^') {
        if (!top || !items.empty() || b.anchored_start)
          unsupported("'^' not at the start of the pattern", at);
        ++pos_;
        b.anchored_start = true;
        continue;
      }
      if (peek() == '$') {
        ++pos_;
        if (!top || !(eof() || peek() == '|'))
          unsupported("'$' not at the end of the pattern", at);
        b.anchored_end = true;
        continue;
      }
      Rx atom = parse_atom();
      items.push_back(parse_repeats(std::move(atom)));
    }
    b.rx = rx_concat(std::move(items));
    return b;
  }

  // Reads a decimal number at pos_; returns false (pos_ unchanged) if there is none.
  bool read_int(uint32_t* v) {
    size_t start = pos_;
    uint64_t n = 0;
    while (!eof() && peek() >= '0' && peek() <= '9') {
      n = n * 10 + static_cast<uint64_t>(peek() - '0');
      if (n > 100000) n = 100000;
      ++pos_;
    }
    if (pos_ == start) return false;
    *v = static_cast<uint32_t>(n);
    return true;
  }

  Rx parse_repeats(Rx atom) {
    for (;;) {
      char c = peek();
      uint32_t lo = 0, hi = 0;
      if (c == '*') {
        ++pos_; lo = 0; hi = kUnbounded;
      } else if (c == '+') {
        ++pos_; lo = 1; hi = kUnbounded;
      } else if (c == '?') {
        ++pos_; lo = 0; hi = 1;
      } else if (c == '{') {
        // RE2 treats a '{' that does not start a valid {n}, {n,} or {n,m} as a literal.
        size_t save = pos_;
        ++pos_;
        if (!read_int(&lo)) { pos_ = save; return atom; }
        if (peek() == '}') {
          hi = lo;
        } else if (peek() == ',') {
          ++pos_;
          if (peek() == '}') hi = kUnbounded;
          else if (!read_int(&hi)) { pos_ = save; return atom; }
        } else {
          pos_ = save;
          return atom;
        }
        if (peek() != '}') { pos_ = save; return atom; }
        ++pos_;
      } else {
        return atom;
      }
      if (peek() == '?') ++pos_;  // lazy: same language as greedy
      atom = rx_repeat(std::move(atom), lo, hi);
    }
  }

  Rx parse_atom() {
    size_t at = pos_;
    char c = peek();
    if (c == '(') {
      ++pos_;
      if (peek() == '?') {
        if (p_.substr(pos_, 2) == "?:") {
          pos_ += 2;
        } else if (p_.substr(pos_, 3) == "?P<" || p_.substr(pos_, 2) == "?<") {
          size_t close = p_.find('>', pos_);
          if (close == std::string_view::npos) fail("unterminated group name", at);
          pos_ = close + 1;
        } else {
          unsupported("flag group '(?...)'", at);
        }
      }
      Rx inner = parse_alt();
      if (peek() != ')') fail("missing ')'", at);
      ++pos_;
      return inner;
    }
    if (c == '[') return parse_class();
    if (c == '.') {
      ++pos_;
      return rx_chars({{0, '\n' - 1}, {'\n' + 1, kMaxCodePoint}});
    }
    if (c == '\\') {
      std::vector<CodeRange> set;
      parse_escape(&set, /*in_class=*/false);
      return rx_chars(std::move(set));
    }
    if (c == '*' || c == '+' || c == '?') fail("missing argument to repetition operator", at);
    return rx_char(next_cp());
  }

  // Parses an escape at pos_ (pointing at '\') into a set of code points.
  void parse_escape(std::vector<CodeRange>* set, bool in_class) {
    size_t at = pos_;
    ++pos_;
    if (eof()) fail("trailing '\\'", at);
    char c = p_[pos_];
    auto single = [&](char32_t cp) { set->push_back({cp, cp}); };
    switch (c) {
      case 'd': ++pos_; *set = kDigit; return;
      case 'D': ++pos_; *set = complement_ranges(kDigit); return;
      case 'w': ++pos_; *set = kWord; return;
      case 'W': ++pos_; *set = complement_ranges(kWord); return;
      case 's': ++pos_; *set = kSpace; return;
      case 'S': ++pos_; *set = complement_ranges(kSpace); return;
      case 'n': ++pos_; single('\n'); return;
      case 't': ++pos_; single('\t'); return;
      case 'r': ++pos_; single('\r'); return;
      case 'f': ++pos_; single('\f'); return;
      case 'v': ++pos_; single('\v'); return;
      case 'a': ++pos_; single('\a'); return;
      case 'x': {
        ++pos_;
        char32_t v = 0;
        if (peek() == '{') {
          size_t close = p_.find('}', pos_);
          if (close == std::string_view::npos) fail("bad \\x{...} escape", at);
          v = static_cast<char32_t>(std::stoul(std::string(p_.substr(pos_ + 1, close - pos_ - 1)),
                                                nullptr, 16));
          pos_ = close + 1;
        } else {
          if (pos_ + 2 > p_.size()) fail("bad \\x escape", at);
          v = static_cast<char32_t>(std::stoul(std::string(p_.substr(pos_, 2)), nullptr, 16));
          pos_ += 2;
        }
        single(v);
        return;
      }
      case 'p':
      case 'P': {
        bool negate = c == 'P';
        ++pos_;
        std::string name;
        if (peek() == '{') {
          size_t close = p_.find('}', pos_);
          if (close == std::string_view::npos) fail("bad \\p{...} class", at);
          name = std::string(p_.substr(pos_ + 1, close - pos_ - 1));
          pos_ = close + 1;
        } else {
          if (eof()) fail("bad \\p class", at);
          name = std::string(1, p_[pos_++]);
        }
        if (!name.empty() && name[0] == '^') {
          negate = !negate;
          name.erase(0, 1);
        }
        std::vector<CodeRange> r;
        if (!unicode_class_ranges(name, &r)) fail("unknown Unicode class '" + name + "'", at);
        *set = negate ? complement_ranges(r) : r;
        return;
      }
      case 'b': unsupported("word boundary '\\b'", at);
      case 'B': unsupported("non-word boundary '\\B'", at);
      case 'A': unsupported("'\\A' (use '^' at the start)", at);
      case 'z': unsupported("'\\z' (use '$' at the end)", at);
      case 'C': unsupported("any-byte '\\C'", at);
      case 'Q':
      case 'E': unsupported("quoting '\\Q...\\E'", at);
      default: break;
    }
    if (c >= '0' && c <= '9') unsupported("octal or backreference escape", at);
    unsigned char uc = static_cast<unsigned char>(c);
    if (uc < 0x80 && !std::isalnum(uc)) {
      ++pos_;
      single(uc);
      return;
    }
    (void)in_class;
    fail(std::string("bad escape '\\") + c + "'", at);
  }

  Rx parse_class() {
    size_t at = pos_;
    ++pos_;  // '['
    bool negate = false;
    if (peek() == '^') {
      negate = true;
      ++pos_;
    }
    std::vector<CodeRange> set;
    bool first = true;
    for (;;) {
      if (eof()) fail("missing ']'", at);
      if (peek() == ']' && !first) {
        ++pos_;
        break;
      }
      first = false;
      if (p_.substr(pos_, 2) == "[:") {
        size_t close = p_.find(":]", pos_ + 2);
        if (close != std::string_view::npos) {
          std::string_view name = p_.substr(pos_ + 2, close - pos_ - 2);
          bool neg = !name.empty() && name[0] == '^';
          if (neg) name.remove_prefix(1);
          std::vector<CodeRange> r;
          if (!posix_class(name, &r)) fail("unknown POSIX class", pos_);
          if (neg) r = complement_ranges(r);
          set.insert(set.end(), r.begin(), r.end());
          pos_ = close + 2;
          continue;
        }
      }
      char32_t lo;
      if (peek() == '\\') {
        std::vector<CodeRange> r;
        parse_escape(&r, true);
        if (r.size() != 1 || r[0].lo != r[0].hi) {  // a class escape like \d: no range
          set.insert(set.end(), r.begin(), r.end());
          continue;
        }
        lo = r[0].lo;
      } else {
        lo = next_cp();
      }
      char32_t hi = lo;
      if (peek() == '-' && pos_ + 1 < p_.size() && p_[pos_ + 1] != ']') {
        size_t dash = pos_;
        ++pos_;
        if (peek() == '\\') {
          std::vector<CodeRange> r;
          parse_escape(&r, true);
          if (r.size() != 1 || r[0].lo != r[0].hi) fail("bad character class range", dash);
          hi = r[0].lo;
        } else {
          hi = next_cp();
        }
        if (hi < lo) fail("bad character class range", dash);
      }
      set.push_back({lo, hi});
    }
    set = normalize_ranges(std::move(set));
    if (negate) set = complement_ranges(set);
    return rx_chars(std::move(set));
  }

  std::string_view p_;
  size_t pos_ = 0;
};

std::vector<Branch> parse_branches(std::string_view pattern) {
  RE2 re(re2::StringPiece(pattern.data(), pattern.size()), RE2::Quiet);
  if (!re.ok()) {
    if (re.error_code() == RE2::ErrorPatternTooLarge)
      throw ConstraintError("regex: pattern too complex (RE2: " + re.error() + ")", 0);
    // RE2 names the offending text but not its position; find it in the pattern.
    size_t at = re.error_arg().empty() ? 0 : pattern.find(re.error_arg());
    if (at == std::string_view::npos) at = 0;
    throw ConstraintError("regex: invalid: " + re.error() + " at offset " + std::to_string(at), at);
  }
  return Parser(pattern).parse_top();
}

}  // namespace

Rx parse_regex(std::string_view pattern) {
  std::vector<Rx> kids;
  for (Branch& b : parse_branches(pattern)) kids.push_back(std::move(b.rx));
  return rx_alt(std::move(kids));
}

Rx parse_regex_search(std::string_view pattern, const Rx& any) {
  std::vector<Rx> kids;
  for (Branch& b : parse_branches(pattern)) {
    kids.push_back(rx_concat({b.anchored_start ? rx_empty() : rx_star(any), b.rx,
                              b.anchored_end ? rx_empty() : rx_star(any)}));
  }
  return rx_alt(std::move(kids));
}

}  // namespace sgl::constraint
