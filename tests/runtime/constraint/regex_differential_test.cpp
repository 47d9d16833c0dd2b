// Differential test against RE2 (as RE2's own exhaustive tester does): every regex built from a
// few atoms and operators up to a small size, against every string up to length 6 over a small
// alphabet that includes a 2-byte UTF-8 character; our full-match must equal RE2::FullMatch.
#include <doctest/doctest.h>
#include <re2/re2.h>

#include <cstdio>
#include <string>
#include <vector>

#include "constraint.h"

using namespace sgl::constraint;

namespace {

struct Expr {
  std::string text;
  bool atomic;  // can take a postfix operator without a group
  bool is_alt;
};

std::vector<std::vector<Expr>> generate(int max_size) {
  const std::vector<std::string> atoms = {"a", "b", "é", ".", "[ab]", "[^a]", "\\w", "[a-é]"};
  const std::vector<std::string> postfix = {"*", "+", "?", "{2}", "{1,2}", "*?"};
  std::vector<std::vector<Expr>> by_size(max_size + 1);
  for (const auto& a : atoms) by_size[1].push_back({a, true, false});
  auto group = [](const Expr& e) { return e.atomic ? e.text : "(?:" + e.text + ")"; };
  for (int k = 2; k <= max_size; ++k) {
    for (const Expr& e : by_size[k - 1])
      for (const auto& op : postfix) by_size[k].push_back({group(e) + op, false, false});
    for (int i = 1; i + 1 < k; ++i) {
      int j = k - 1 - i;
      for (const Expr& x : by_size[i]) {
        for (const Expr& y : by_size[j]) {
          auto part = [](const Expr& e) { return e.is_alt ? "(?:" + e.text + ")" : e.text; };
          by_size[k].push_back({part(x) + part(y), false, false});
          by_size[k].push_back({x.text + "|" + y.text, false, true});
        }
      }
    }
  }
  return by_size;
}

std::vector<std::string> all_strings(int max_len) {
  const std::vector<std::string> alphabet = {"a", "b", "é"};
  std::vector<std::string> out = {""};
  size_t begin = 0;
  for (int len = 1; len <= max_len; ++len) {
    size_t end = out.size();
    for (size_t i = begin; i < end; ++i)
      for (const auto& c : alphabet) out.push_back(out[i] + c);
    begin = end;
  }
  return out;
}

}  // namespace

TEST_CASE("regex: full match equals RE2::FullMatch on all small regexes and strings") {
  auto by_size = generate(4);
  std::vector<std::string> patterns;
  for (const auto& level : by_size)
    for (const Expr& e : level) patterns.push_back(e.text);
  // Anchors at the ends are no-ops under full match; check a slice of them too.
  for (const Expr& e : by_size[2]) {
    patterns.push_back("^" + e.text + "$");
    patterns.push_back("^" + e.text + "|b$");
  }
  const std::vector<std::string> strings = all_strings(6);

  size_t pairs = 0, mismatches = 0;
  for (const std::string& p : patterns) {
    RE2 re(p, RE2::Quiet);
    REQUIRE_MESSAGE(re.ok(), p);
    auto dfa = compile_regex(p);
    for (const std::string& s : strings) {
      bool want = RE2::FullMatch(s, re);
      bool got = dfa->full_match(s);
      ++pairs;
      if (want != got && ++mismatches <= 10)
        FAIL_CHECK("pattern /" << p << "/ on \"" << s << "\": RE2 " << want << ", ours " << got
                               << "  (repro: sglc grammar --regex '" << p << "' --check FILE)");
    }
  }
  MESSAGE("regex differential: " << patterns.size() << " regexes x " << strings.size()
                                 << " strings = " << pairs << " pairs, " << mismatches
                                 << " mismatches");
  CHECK(pairs >= 1000000);
  CHECK(mismatches == 0);
}
