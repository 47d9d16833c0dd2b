// Constructors and set algebra for Rx, the shared constraint representation. Constructors apply
// the cheap algebraic simplifications (flattening, Nothing/Empty absorption) so that generated
// trees from schemas stay small.
#include "rx.h"

#include <algorithm>

namespace sgl::constraint {

namespace {
Rx make(RxKind kind) {
  auto n = std::make_shared<RxNode>();
  n->kind = kind;
  return n;
}
}  // namespace

Rx rx_empty() {
  static const Rx e = make(RxKind::Empty);
  return e;
}

Rx rx_nothing() {
  static const Rx n = make(RxKind::Nothing);
  return n;
}

std::vector<CodeRange> normalize_ranges(std::vector<CodeRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const CodeRange& a, const CodeRange& b) { return a.lo < b.lo; });
  std::vector<CodeRange> out;
  for (const CodeRange& r : ranges) {
    if (r.lo > r.hi) continue;
    if (!out.empty() && r.lo <= out.back().hi + 1) {
      out.back().hi = std::max(out.back().hi, r.hi);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

std::vector<CodeRange> complement_ranges(const std::vector<CodeRange>& ranges) {
  std::vector<CodeRange> out;
  char32_t next = 0;
  for (const CodeRange& r : ranges) {
    if (r.lo > next) out.push_back({next, r.lo - 1});
    next = r.hi + 1;
  }
  if (next <= kMaxCodePoint) out.push_back({next, kMaxCodePoint});
  return out;
}

std::vector<CodeRange> subtract_ranges(const std::vector<CodeRange>& a,
                                       const std::vector<CodeRange>& b) {
  std::vector<CodeRange> nb = complement_ranges(normalize_ranges(b));
  std::vector<CodeRange> out;
  // Intersection of a with the complement of b, both sorted and disjoint.
  size_t i = 0, j = 0;
  while (i < a.size() && j < nb.size()) {
    char32_t lo = std::max(a[i].lo, nb[j].lo), hi = std::min(a[i].hi, nb[j].hi);
    if (lo <= hi) out.push_back({lo, hi});
    if (a[i].hi < nb[j].hi) ++i; else ++j;
  }
  return out;
}

Rx rx_chars(std::vector<CodeRange> ranges) {
  ranges = normalize_ranges(std::move(ranges));
  if (ranges.empty()) return rx_nothing();
  auto n = std::make_shared<RxNode>();
  n->kind = RxKind::Chars;
  n->ranges = std::move(ranges);
  return n;
}

Rx rx_char(char32_t c) { return rx_chars({{c, c}}); }

Rx rx_literal(std::string_view bytes) {
  if (bytes.empty()) return rx_empty();
  auto n = std::make_shared<RxNode>();
  n->kind = RxKind::Literal;
  n->text = std::string(bytes);
  return n;
}

Rx rx_concat(std::vector<Rx> kids) {
  std::vector<Rx> flat;
  for (Rx& k : kids) {
    if (k->kind == RxKind::Nothing) return rx_nothing();
    if (k->kind == RxKind::Empty) continue;
    if (k->kind == RxKind::Concat) {
      flat.insert(flat.end(), k->kids.begin(), k->kids.end());
    } else if (k->kind == RxKind::Literal && !flat.empty() && flat.back()->kind == RxKind::Literal) {
      flat.back() = rx_literal(flat.back()->text + k->text);
    } else {
      flat.push_back(std::move(k));
    }
  }
  if (flat.empty()) return rx_empty();
  if (flat.size() == 1) return flat[0];
  auto n = std::make_shared<RxNode>();
  n->kind = RxKind::Concat;
  n->kids = std::move(flat);
  return n;
}

Rx rx_alt(std::vector<Rx> kids) {
  std::vector<Rx> flat;
  for (Rx& k : kids) {
    if (k->kind == RxKind::Nothing) continue;
    if (k->kind == RxKind::Alt) {
      flat.insert(flat.end(), k->kids.begin(), k->kids.end());
    } else {
      flat.push_back(std::move(k));
    }
  }
  if (flat.empty()) return rx_nothing();
  if (flat.size() == 1) return flat[0];
  auto n = std::make_shared<RxNode>();
  n->kind = RxKind::Alt;
  n->kids = std::move(flat);
  return n;
}

Rx rx_repeat(Rx kid, uint32_t min, uint32_t max) {
  if (max != kUnbounded && max < min) return rx_nothing();
  if (max == 0 || kid->kind == RxKind::Empty) return rx_empty();
  if (kid->kind == RxKind::Nothing) return min == 0 ? rx_empty() : rx_nothing();
  if (min == 1 && max == 1) return kid;
  auto n = std::make_shared<RxNode>();
  n->kind = RxKind::Repeat;
  n->min = min;
  n->max = max;
  n->kids = {std::move(kid)};
  return n;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

namespace {
void print_cp(std::string& out, char32_t c) {
  if (c >= 0x21 && c < 0x7F) {
    if (std::string_view("\\.+*?()|[]{}^$-").find(static_cast<char>(c)) != std::string_view::npos)
      out += '\\';
    out += static_cast<char>(c);
  } else {
    char buf[16];
    snprintf(buf, sizeof buf, "\\x{%X}", static_cast<unsigned>(c));
    out += buf;
  }
}

void print(std::string& out, const Rx& rx) {
  switch (rx->kind) {
    case RxKind::Empty: out += "(?:)"; break;
    case RxKind::Nothing: out += "[^\\x00-\\x{10FFFF}]"; break;
    case RxKind::Chars:
      out += '[';
      for (const CodeRange& r : rx->ranges) {
        print_cp(out, r.lo);
        if (r.hi != r.lo) { out += '-'; print_cp(out, r.hi); }
      }
      out += ']';
      break;
    case RxKind::Literal:
      for (unsigned char c : rx->text) print_cp(out, c);
      break;
    case RxKind::Concat:
      for (const Rx& k : rx->kids) {
        bool paren = k->kind == RxKind::Alt;
        if (paren) out += "(?:";
        print(out, k);
        if (paren) out += ')';
      }
      break;
    case RxKind::Alt:
      for (size_t i = 0; i < rx->kids.size(); ++i) {
        if (i) out += '|';
        print(out, rx->kids[i]);
      }
      break;
    case RxKind::Repeat:
      out += "(?:";
      print(out, rx->kids[0]);
      out += ")";
      out += '{' + std::to_string(rx->min) + ',' +
             (rx->max == kUnbounded ? std::string() : std::to_string(rx->max)) + '}';
      break;
  }
}
}  // namespace

std::string rx_to_string(const Rx& rx) {
  std::string out;
  print(out, rx);
  return out;
}

}  // namespace sgl::constraint
