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

namespace {

// A vocabulary built to exercise bulk subtree acceptance: random strings over letters, digits,
// spaces, JSON specials, control bytes and whole or cut UTF-8 characters (so tokens end inside
// characters), many sharing prefixes, some long (up to 80 bytes, past every depth cap).
std::shared_ptr<const Vocabulary> random_vocab(uint32_t seed, size_t n) {
  std::mt19937 rng(seed);
  const std::vector<std::string> pieces = {"a", "b", "Z", "q", "0", "7", " ", "\"", "\\", "\n", "\t", "{", ":", ",",
                                           "\x7F", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xC3", "\xE2\x82",
                                           "\xA9", "\xED\xA0\x80", "\xC0\xAF", "\xFF", "-", "."};
  auto v = std::make_shared<Vocabulary>();
  v->tokens = {"</s>"};
  v->special = {1};
  v->eos_ids = {0};
  for (int i = 0; i < 256; ++i) v->tokens.push_back(std::string(1, static_cast<char>(i)));  // every byte
  std::vector<std::string> made;
  while (v->tokens.size() < n) {
    std::string t = made.empty() || rng() % 3 == 0 ? "" : made[rng() % made.size()];  // shared prefixes
    size_t len = rng() % 10 == 0 ? 20 + rng() % 60 : 1 + rng() % 6;
    // Mostly one kind of piece per token (all letters, all plain...), so subtrees of one text
    // class exist, with a random piece now and then.
    size_t base = rng() % pieces.size();
    while (t.size() < len) t += pieces[rng() % 4 == 0 ? rng() % pieces.size() : (base + rng() % 3) % pieces.size()];
    made.push_back(t);
    v->tokens.push_back(t);
  }
  v->special.resize(v->tokens.size(), 0);
  return v;
}

}  // namespace

TEST_CASE("masks: bulk subtree acceptance equals the plain walk on random states") {
  // Constraints with states that survive long runs of plain text (JSON strings, [^\n]{0,N}
  // counters, alnum runs) and states that do not, so that both the bulk path and its refusals
  // are taken; every state's mask with bulk on must equal the node-by-node walk.
  auto vocab = random_vocab(7, 3000);
  auto trie = std::make_shared<const TokenTrie>(vocab);
  size_t bulk_nodes = 0;
  for (const auto& nd : trie->nodes()) bulk_nodes += nd.bulk != TokenTrie::kNoBulk && (nd.bulk & 63) > 0;
  REQUIRE(bulk_nodes > 100);  // the vocabulary really has subtrees to accept in bulk
  std::mt19937 rng(11);
  size_t states = 0, walked_bulk = 0, walked_plain = 0, exact_subtrees = 0;
  for (const char* pattern :
       {"\"[^\"\\\\\\x00-\\x1F]*\"", "[^\\n]{0,30}", "x[^\\n]{0,200}", "[a-zA-Z0-9]{1,12}@[a-z]{2,5}",
        "[a-zA-Z0-9._%+-]{1,20}@[a-zA-Z0-9-]{1,9}", "([A-Za-z]{0,6} ){0,3}",
        "\"([^\"\\\\]|\\\\.){0,40}\"", "[ -~]{3,70}!", "(ab|a[^b]){0,50}", "[\\x{80}-\\x{10FFFF}]{0,9}z",
        "\\{\"k\":\"[^\"]{0,64}\"\\}", "[^a]{2,}a[^b]{0,5}"}) {
    auto dfa = compile_regex(pattern);
    TokenMasker bulk(dfa, trie), plain(dfa, trie);
    plain.set_bulk(false);
    for (int walk = 0; walk < 12; ++walk) {
      int32_t s = dfa->start();
      for (int step = 0; step < 40 && s != LazyDfa::kDead; ++step) {
        TokenMask want = plain.compute(s);
        TokenMask got = bulk.compute(s);
        CHECK_MESSAGE(got == want, "pattern " << std::string(pattern) << " state " << s);
        ++states;
        std::vector<int32_t> allowed;
        for (size_t id = 0; id < vocab->size(); ++id)
          if (want.test(static_cast<int32_t>(id)) && !bulk.is_eos(static_cast<int32_t>(id))) allowed.push_back(static_cast<int32_t>(id));
        if (allowed.empty()) break;
        s = bulk.advance(s, allowed[rng() % allowed.size()]);
      }
    }
    walked_bulk += bulk.stats().walked_nodes;
    walked_plain += plain.stats().walked_nodes;
    exact_subtrees += bulk.stats().exact_subtrees;
  }
  CHECK(states > 2000);
  CHECK(exact_subtrees > 100);  // subtrees picked by length near a bound were compared too
  // The fast path was really taken (this mixed vocabulary has few pure subtrees; the Llama 3
  // test in model_vocab_test checks the large savings).
  CHECK(walked_bulk * 10 < walked_plain * 9);
}

TEST_CASE("masks: class_chars bounds are proved, and tight on simple cases") {
  // Every class text of at most lo characters must keep the state live, and with exact r every
  // one of r + 1 characters must kill it (random texts of that many characters started, the
  // last one cut anywhere); a few exact values pin the search down.
  auto trie = std::make_shared<const TokenTrie>(small_vocab());
  std::mt19937 rng(5);
  auto random_text = [&](int cls, int chars) {
    std::string t;
    int u = 0;
    for (int started = 0; started < chars || (u != 0 && rng() % 2);) {
      uint8_t b = static_cast<uint8_t>(rng());
      uint8_t v = TokenTrie::text_next(cls, u, b);
      if (v == TokenTrie::kTextDead) continue;
      started += u == 0;
      t += static_cast<char>(b);
      u = v;
    }
    return t;
  };
  size_t exact_checked = 0;
  for (const char* pattern : {"\"[^\"\\\\\\x00-\\x1F]*\"", "[^\\n]{0,30}", "[a-z0-9]{0,9}", "[A-Za-z]{5}x",
                              "[ -~\\x{80}-\\x{10FFFF}]{0,15}", "(a|b|[^ab]{2}){0,20}", "(ab|cd)*e", "\"[^\"]{0,3}\\x{e9}?\""}) {
    auto dfa = compile_regex(pattern);
    TokenMasker m(dfa, trie);
    REQUIRE(dfa->explore(5000));
    for (int32_t s = 1; s < static_cast<int32_t>(dfa->num_states()); ++s)
      for (int cls = 0; cls < TokenTrie::kTextClasses; ++cls) {
        TokenMasker::CharBound c = m.class_chars(cls, s);
        CHECK(c.lo >= 0);
        CHECK(c.lo <= TokenTrie::kMaxExactChars);
        if (c.exact >= 0) CHECK(c.lo == c.exact);
        for (int k = 0; k < 20; ++k) {
          if (c.lo > 0) {
            std::string t = random_text(cls, 1 + static_cast<int>(rng() % static_cast<unsigned>(c.lo)));
            CHECK_MESSAGE(dfa->walk(s, t) != LazyDfa::kDead, std::string(pattern) << " state " << s << " class " << cls << " lo " << c.lo);
          }
          if (c.exact >= 0) {
            std::string t = random_text(cls, c.exact + 1);
            CHECK_MESSAGE(dfa->walk(s, t) == LazyDfa::kDead, std::string(pattern) << " state " << s << " class " << cls << " exact " << c.exact);
            ++exact_checked;
          }
        }
      }
  }
  CHECK(exact_checked > 1000);
  auto counter = compile_regex("[^\\n]{0,40}");
  TokenMasker m(counter, trie);
  int32_t s = counter->start();
  CHECK(m.class_chars(TokenTrie::kPlain, s).lo == 32);     // capped (40 left)
  CHECK(m.class_chars(TokenTrie::kPlain, s).exact == -1);  // too far to prove
  CHECK(m.class_chars(TokenTrie::kPlain, s, 5).lo >= 5);   // searched only as deep as needed
  for (int i = 0; i < 30; ++i) s = counter->next(s, 'a');
  CHECK(m.class_chars(TokenTrie::kPlain, s).lo == 10);  // exactly the ten characters left
  CHECK(m.class_chars(TokenTrie::kPlain, s).exact == 10);
  CHECK(m.class_chars(TokenTrie::kAlpha, s).exact == 10);
  auto str = compile_regex("\"[^\"\\\\\\x00-\\x1F]*\"");
  TokenMasker ms(str, trie);
  int32_t in = str->next(str->start(), '"');
  CHECK(ms.class_chars(TokenTrie::kPlain, in).lo == 32);  // any plain text, forever
  CHECK(ms.class_chars(TokenTrie::kPlain, in).exact == -1);
  CHECK(ms.class_chars(TokenTrie::kPlain, str->start()).lo == 0);     // must open with '"'
  CHECK(ms.class_chars(TokenTrie::kPlain, str->start()).exact == 0);  // no plain text at all
  auto digits = compile_regex("[a-z0-9]{0,9}");
  TokenMasker md(digits, trie);
  CHECK(md.class_chars(TokenTrie::kAlpha, digits->start()).lo == 0);  // 'A' kills it
  CHECK(md.class_chars(TokenTrie::kAlpha, digits->start()).exact == -1);
  CHECK(md.class_chars(TokenTrie::kAlnum, digits->start()).lo == 0);
  auto cycle = compile_regex("(ab|cd)*e");  // a two-state cycle: a lower bound only
  TokenMasker mc(cycle, trie);
  CHECK(mc.class_chars(TokenTrie::kAlpha, cycle->start()).lo == 0);  // 'b' kills it
}

TEST_CASE("masks: class index equals the class automaton's definition") {
  // up_to[k] holds exactly the tokens whose whole text is class text of at most k characters
  // (characters started = non-continuation bytes); `rest` holds every other trie token.
  auto vocab = random_vocab(21, 2000);
  auto trie = std::make_shared<const TokenTrie>(vocab);
  for (int cls = 0; cls < TokenTrie::kTextClasses; ++cls) {
    const TokenTrie::ClassIndex& ix = trie->class_index(cls);
    REQUIRE(ix.up_to.size() == TokenTrie::kMaxExactChars + 1);
    std::vector<uint8_t> in_rest(vocab->size(), 0);
    for (int32_t id : ix.rest->token_ids()) in_rest[static_cast<size_t>(id)] = 1;
    size_t members = 0;
    for (size_t id = 1; id < vocab->size(); ++id) {
      const std::string& t = vocab->tokens[id];
      int u = 0, chars = 0;
      for (char ch : t) {
        if (u == TokenTrie::kTextDead) break;
        chars += u == 0;
        u = TokenTrie::text_next(cls, u, static_cast<uint8_t>(ch));
      }
      bool member = !t.empty() && u != TokenTrie::kTextDead && chars <= TokenTrie::kMaxExactChars;
      members += member;
      CHECK_MESSAGE(in_rest[id] == (!member && !t.empty()), "class " << cls << " token " << id);
      for (int k = 0; k <= TokenTrie::kMaxExactChars; ++k)
        CHECK(ix.up_to[static_cast<size_t>(k)].test(static_cast<int32_t>(id)) == (member && chars <= k));
    }
    CHECK(ix.class_tokens == members);
    CHECK_FALSE(ix.up_to.back().test(0));  // special tokens never
  }
}

namespace {

// The states of a maxLength-style constraint at every distance from its bound: random texts of
// k characters (ASCII, 2-, 3- and 4-byte UTF-8) for k = 0..n, and states inside a character.
std::vector<int32_t> counter_states(LazyDfa& dfa, int32_t s, int n, std::mt19937& rng, std::vector<int>* used) {
  const char* chars[] = {"a", "Z", " ", "7", "~", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xE4\xB8\xAD"};
  std::vector<int32_t> out;
  for (int k = 0; k <= n && s != LazyDfa::kDead; ++k) {
    out.push_back(s);
    used->push_back(k);
    std::string c = chars[rng() % std::size(chars)];
    if (c.size() > 1) {  // the state after a lead byte, mid-character
      out.push_back(dfa.next(s, static_cast<uint8_t>(c[0])));
      used->push_back(-1);
    }
    s = dfa.walk(s, c);
  }
  return out;
}

}  // namespace

TEST_CASE("masks: maxLength strings near their bound, multi-byte text: exact route equals the plain walk") {
  // Inside a string of at most n characters (JSON's maxLength counts code points) with r left,
  // the state survives exactly the plain texts of <= r characters: class_chars must say exact r, and
  // the mask built from the class index plus the walk of the other tokens must equal the plain
  // node-by-node walk, at every r, also in states inside a character (r = 0 there: only the
  // other tokens, continuation bytes among them, can be allowed).
  auto vocab = random_vocab(9, 4000);
  auto trie = std::make_shared<const TokenTrie>(vocab);
  std::mt19937 rng(17);
  size_t exact_states = 0;
  uint64_t bulk_class_masks = 0;
  struct Case {
    const char* pattern;
    int n;          // bound in characters
    bool counter;   // the state after the opening quote counts plain characters exactly
  };
  for (const Case& c : {Case{"\"[^\"\\\\\\x00-\\x1F]{0,12}\"", 12, true},
                        Case{"\"([^\"\\\\\\x00-\\x1F]|\\\\[\"\\\\/bfnrt]){0,20}\",?", 20, true},
                        Case{"\"[^\"\\\\\\x00-\\x1F]{2,9}\"", 9, false},  // minLength: short texts die
                        Case{"\"[ -~\\x{80}-\\x{10FFFF}]{0,6}x", 6, false},
                        Case{"\"[^\"\\\\\\x00-\\x1F]{0,40}\"", 40, true}}) {
    auto dfa = compile_regex(c.pattern);
    TokenMasker bulk(dfa, trie), plain(dfa, trie);
    plain.set_bulk(false);
    for (int rep = 0; rep < 6; ++rep) {
      bulk_class_masks -= bulk.stats().class_masks;
      std::vector<int> used;
      std::vector<int32_t> states = counter_states(*dfa, dfa->next(dfa->start(), '"'), c.n, rng, &used);
      for (size_t i = 0; i < states.size(); ++i) {
        int32_t s = states[i];
        CHECK_MESSAGE(bulk.compute(s) == plain.compute(s), std::string(c.pattern) << " after " << used[i] << " characters");
        int r = bulk.class_chars(TokenTrie::kPlain, s).exact;
        if (used[i] < 0) {
          CHECK(r == 0);  // inside a character no class text (it starts at a boundary) survives
        } else if (c.counter && c.n - used[i] < TokenTrie::kMaxExactChars) {
          CHECK_MESSAGE(r == c.n - used[i], std::string(c.pattern) << " after " << used[i] << " characters");
        } else if (c.counter) {  // too far from the bound to search: a lower bound at the cap
          CHECK(bulk.class_chars(TokenTrie::kPlain, s).lo == TokenTrie::kMaxExactChars);
        }
        exact_states += r >= 0;
      }
      bulk_class_masks += bulk.stats().class_masks;
    }
  }
  CHECK(exact_states > 100);
  CHECK(bulk_class_masks > 50);  // compute() really took the class-index route
  // The other classes and simple exact values.
  auto alpha = compile_regex("[a-zA-Z]{0,5}[0-9]");
  TokenMasker ma(alpha, trie);
  CHECK(ma.class_chars(TokenTrie::kAlpha, alpha->start()).exact == 5);
  CHECK(ma.class_chars(TokenTrie::kAlnum, alpha->start()).exact == -1);  // "1" survives, "11" dies
  CHECK(ma.class_chars(TokenTrie::kPlain, alpha->start()).exact == -1);
  auto free_text = compile_regex("\"[^\"]*\"");
  TokenMasker mf(free_text, trie);
  CHECK(mf.class_chars(TokenTrie::kPlain, free_text->next(free_text->start(), '"')).exact == -1);  // unbounded
  CHECK(mf.class_chars(TokenTrie::kPlain, free_text->start()).exact == 0);  // no plain text before the quote
}
