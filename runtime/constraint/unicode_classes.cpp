// Recovers a Unicode class's code point ranges by probing RE2: whole blocks of code points are
// tested at once ("all in" / "all out"), and only mixed blocks are split, so a class costs a few
// thousand matches rather than 1.1 million.
#include "unicode_classes.h"

#include <re2/re2.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace sgl::constraint {

namespace {

struct Prober {
  RE2 all_in, all_out;
  Prober(const std::string& name)
      : all_in("\\p{" + name + "}*", RE2::Quiet), all_out("\\P{" + name + "}*", RE2::Quiet) {}

  static std::string block(char32_t lo, char32_t hi) {
    std::string s;
    for (char32_t c = lo; c <= hi; ++c) append_utf8(s, c);
    return s;
  }

  void probe(char32_t lo, char32_t hi, std::vector<CodeRange>& out) {
    std::string s = block(lo, hi);
    if (RE2::FullMatch(s, all_in)) {
      out.push_back({lo, hi});
      return;
    }
    if (RE2::FullMatch(s, all_out)) return;
    if (hi - lo < 16) {
      for (char32_t c = lo; c <= hi; ++c) {
        std::string one;
        append_utf8(one, c);
        if (RE2::FullMatch(one, all_in)) out.push_back({c, c});
      }
      return;
    }
    char32_t step = (hi - lo + 1) / 16;
    for (char32_t b = lo; b <= hi; b += step) probe(b, std::min<char32_t>(hi, b + step - 1), out);
  }
};

}  // namespace

bool unicode_class_ranges(std::string_view name, std::vector<CodeRange>* out) {
  static std::mutex mu;
  static std::map<std::string, std::vector<CodeRange>, std::less<>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(name); it != cache.end()) {
    *out = it->second;
    return true;
  }
  Prober p{std::string(name)};
  if (!p.all_in.ok() || !p.all_out.ok()) return false;
  std::vector<CodeRange> ranges;
  // Blocks of 4096 code points, skipping the surrogates that UTF-8 cannot encode.
  for (char32_t b = 0; b <= kMaxCodePoint; b += 4096) {
    char32_t e = b + 4095;
    if (b == 0xD000) {
      p.probe(0xD000, 0xD7FF, ranges);
      continue;
    }
    p.probe(b, e, ranges);
  }
  ranges = normalize_ranges(std::move(ranges));
  cache.emplace(std::string(name), ranges);
  *out = std::move(ranges);
  return true;
}

}  // namespace sgl::constraint
