// Token masks on a small synthetic vocabulary: the trie walk must equal the brute-force
// definition (a token is allowed iff its bytes keep the automaton live), EOS only in accepting
// states, cached masks shared when identical and bounded by the LRU budget.
#include <doctest/doctest.h>

#include <random>

#include "constraint.h"
#include "token_masker.h"

using namespace sgl::constraint;

namespace {

std::shared_ptr<const Vocabulary> small_vocab() {
  auto v = std::make_shared<Vocabulary>();
  v->tokens = {"<s>", "</s>", "a", "b", "ab", "abc", "ba", "{\"", "\"}", "\"", "{", "}", ":",
               "1", "12", "123", " ", "\n", "é", "\xC3", "\xA9", "name", "\"name", "a", ""};
  v->special.assign(v->tokens.size(), 0);
  v->special[0] = v->special[1] = 1;
  v->eos_ids = {1};
  return v;
}

TokenMask brute_force(LazyDfa& dfa, const Vocabulary& v, int32_t s) {
  TokenMask m(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v.special[i] || v.tokens[i].empty()) continue;
    if (dfa.walk(s, v.tokens[i]) != LazyDfa::kDead) m.set(static_cast<int32_t>(i));
  }
  if (dfa.accepting(s))
    for (int32_t e : v.eos_ids) m.set(e);
  return m;
}

}  // namespace

TEST_CASE("masks: trie walk equals brute force on every reachable state") {
  auto vocab = small_vocab();
  auto trie = std::make_shared<const TokenTrie>(vocab);
  for (const char* pattern : {"(ab|ba)*c?", "\\{\"name\":[0-9]{1,3}\\}", "é+a", "[^a]*", "a|abc|b"}) {
    auto dfa = compile_regex(pattern);
    TokenMasker masker(dfa, trie);
    REQUIRE(dfa->explore(1000));
    for (int32_t s = 1; s < static_cast<int32_t>(dfa->num_states()); ++s) {
      TokenMask want = brute_force(*dfa, *vocab, s);
      CHECK_MESSAGE(*masker.mask(s) == want, "pattern " << pattern << " state " << s);
    }
  }
}

TEST_CASE("masks: EOS only when accepting; special and empty tokens never") {
  auto vocab = small_vocab();
  auto masker = TokenMasker(compile_regex("ab"), std::make_shared<const TokenTrie>(vocab));
  int32_t s = masker.dfa().start();
  auto m0 = masker.mask(s);
  CHECK_FALSE(m0->test(1));
  CHECK_FALSE(m0->test(0));
  CHECK_FALSE(m0->test(24));
  CHECK(m0->test(2));   // a
  CHECK(m0->test(4));   // ab
  CHECK(m0->test(23));  // a (duplicate bytes, other id)
  CHECK_FALSE(m0->test(5));  // abc
  s = masker.advance(s, 4);
  auto m1 = masker.mask(s);
  CHECK(m1->test(1));
  CHECK(m1->count() == 1);
  CHECK(masker.advance(s, 1) == s);
  CHECK(masker.advance(masker.dfa().start(), 5) == LazyDfa::kDead);
}

TEST_CASE("masks: cache hits, identical masks shared, LRU bound respected") {
  auto vocab = small_vocab();
  auto trie = std::make_shared<const TokenTrie>(vocab);
  // a{0,40}: states 1..40 all allow exactly the same tokens except the last.
  TokenMasker masker(compile_regex("x(a{0,40})"), trie, /*cache_bytes=*/1 << 20);
  int32_t s = masker.dfa().next(masker.dfa().start(), 'x');
  std::vector<int32_t> states;
  for (int i = 0; i < 30; ++i) {
    states.push_back(s);
    s = masker.advance(s, 2);
  }
  for (int32_t x : states) masker.mask(x);
  CHECK(masker.stats().misses == 30);
  CHECK(masker.stats().unique_masks == 1);  // the same allowed set everywhere
  auto a = masker.mask(states[3]);
  auto b = masker.mask(states[7]);
  CHECK(a.get() == b.get());
  CHECK(masker.stats().hits == 2);

  // Three states with three different masks under a budget of one mask (4 bytes).
  TokenMasker tiny(compile_regex("ab|ba|aa|b"), trie, /*cache_bytes=*/4);
  LazyDfa& d = tiny.dfa();
  for (int32_t x : {d.start(), d.next(d.start(), 'a'), d.next(d.start(), 'b')}) tiny.mask(x);
  CHECK(tiny.stats().unique_masks == 1);
  CHECK(tiny.stats().cached_states == 1);
  CHECK(tiny.stats().bytes <= 4);
}

TEST_CASE("masks: bitmask layout is 32-bit words, bit t%32 of word t/32") {
  TokenMask m(70);
  CHECK(m.words.size() == 3);
  m.set(0);
  m.set(33);
  m.set(69);
  CHECK(m.words[0] == 1u);
  CHECK(m.words[1] == 2u);
  CHECK(m.words[2] == (1u << 5));
}
