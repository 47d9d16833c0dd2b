// Token-level guarantees with the real Llama 3 (byte-level BPE, 128,256 tokens) and Llama 2
// (sentencepiece, 32,000 pieces) vocabularies: every token sequence the masks allow decodes to
// a prefix of a match (checked with RE2 or the schema validator after completing it), and every
// matching string is reachable token by token (its tokenisations are allowed step by step).
#include <doctest/doctest.h>
#include <re2/re2.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "constraint.h"
#include "dfa_walk.h"
#include "jump_forward.h"
#include "schema_validator.h"
#include "token_masker.h"
#include "vocab_bytes.h"

using namespace sgl::constraint;
using namespace sgl::constraint::testing;

namespace {

std::string models_dir() {
  const char* env = std::getenv("SGL_MODELS_DIR");
  return env ? env : SGL_MODELS_DIR;
}

std::shared_ptr<const Vocabulary> load(const std::string& rel) {
  std::string path = models_dir() + "/" + rel;
  if (!std::filesystem::exists(path)) return nullptr;
  return std::make_shared<const Vocabulary>(load_vocabulary(path));
}

const char* kRegexes[] = {
    "[a-z]+@[a-z]+\\.(com|org)",
    "\\d{1,3}(\\.\\d{1,3}){3}",
    "(yes|no|maybe)",
    "\\p{L}{2,8} \\p{Greek}+",
    "\"[^\"\\n]{0,20}\"",
    "(\\{\"k\": \\d+\\}\\n){1,3}",
    "[\\x{4e00}-\\x{9fff}]{1,4}!",
};

const char* kSchemas[] = {
    R"({"type":"object","properties":{"name":{"type":"string","maxLength":10},"age":{"type":"integer","minimum":0,"maximum":120},"tags":{"type":"array","items":{"enum":["x","yy"]},"maxItems":3}},"required":["name"]})",
    R"({"anyOf":[{"type":"number"},{"type":"string","format":"date"}]})",
};

// Greedy longest-match tokenisation through the vocabulary (one valid tokenisation of s).
std::vector<int32_t> greedy_tokens(const Vocabulary& v, const std::string& s) {
  std::vector<int32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    int32_t best = -1;
    size_t best_len = 0;
    for (size_t id = 0; id < v.size(); ++id) {
      const std::string& t = v.tokens[id];
      if (v.special[id] || t.empty() || t.size() <= best_len) continue;
      if (s.compare(i, t.size(), t) == 0) {
        best = static_cast<int32_t>(id);
        best_len = t.size();
      }
    }
    REQUIRE(best >= 0);
    out.push_back(best);
    i += best_len;
  }
  return out;
}

int32_t byte_token(const Vocabulary& v, unsigned char b) {
  for (size_t id = 0; id < v.size(); ++id)
    if (!v.special[id] && v.tokens[id].size() == 1 && static_cast<unsigned char>(v.tokens[id][0]) == b)
      return static_cast<int32_t>(id);
  return -1;
}

void check_vocab(const std::shared_ptr<const Vocabulary>& vocab, const std::string& name) {
  auto trie = std::make_shared<const TokenTrie>(vocab);
  std::mt19937 rng(7);
  size_t sequences = 0, reach = 0;
  auto run = [&](const std::shared_ptr<LazyDfa>& dfa, const std::function<bool(const std::string&)>& ok,
                 const std::string& label) {
    TokenMasker masker(dfa, trie);
    // (1) Random token walks: the text so far plus the shortest completion must be a match.
    for (int walk = 0; walk < 25; ++walk) {
      int32_t s = dfa->start();
      std::string text;
      for (int step = 0; step < 12; ++step) {
        auto m = masker.mask(s);
        std::vector<int32_t> allowed;
        for (size_t id = 0; id < vocab->size(); ++id)
          if (m->test(static_cast<int32_t>(id))) allowed.push_back(static_cast<int32_t>(id));
        REQUIRE_MESSAGE(!allowed.empty(), label << ": live state with no allowed token");
        int32_t tok = allowed[rng() % allowed.size()];
        if (masker.is_eos(tok)) {
          CHECK(dfa->accepting(s));
          break;
        }
        s = masker.advance(s, tok);
        REQUIRE(s != LazyDfa::kDead);
        text += vocab->tokens[tok];
        std::string full = text + shortest_completion(*dfa, s);
        CHECK_MESSAGE(ok(full), name << " " << label << ": allowed prefix " << text
                                     << " completes to a non-match " << full);
        ++sequences;
      }
    }
    // (2) Random matches are reachable: greedy and byte-by-byte tokenisations are allowed.
    for (int k = 0; k < 10; ++k) {
      std::string match = random_match(*dfa, rng, 30);
      REQUIRE(ok(match));
      for (int mode = 0; mode < 2; ++mode) {
        std::vector<int32_t> toks;
        if (mode == 0) {
          toks = greedy_tokens(*vocab, match);
        } else {
          for (unsigned char b : match) toks.push_back(byte_token(*vocab, b));
        }
        int32_t s = dfa->start();
        for (int32_t t : toks) {
          REQUIRE(t >= 0);
          CHECK_MESSAGE(masker.mask(s)->test(t), name << " " << label << ": token of " << match << " masked out");
          s = masker.advance(s, t);
        }
        CHECK(dfa->accepting(s));
        for (int32_t e : vocab->eos_ids) CHECK(masker.mask(s)->test(e));
        ++reach;
      }
    }
  };
  for (const char* p : kRegexes) {
    RE2 re(p);
    run(compile_regex(p), [&](const std::string& s) { return RE2::FullMatch(s, re); }, p);
  }
  for (const char* text : kSchemas) {
    ojson schema = ojson::parse(text);
    run(compile_json_schema(text), [&](const std::string& s) {
      try {
        return validate(ojson::parse(s), schema, schema);
      } catch (...) {
        return false;
      }
    }, text);
  }
  MESSAGE(name << ": " << sequences << " allowed token prefixes checked, " << reach
               << " tokenisations of matches replayed");
}

}  // namespace

TEST_CASE("model vocabularies: allowed tokens stay inside the language; matches reachable") {
  auto llama3 = load("tokenizers/llama3-tokenizer-json/tokenizer.json");
  auto llama2 = load("tokenizers/llama2-spm/tokenizer.model");
  if (!llama3 || !llama2) {
    MESSAGE("SKIPPED: tokenizers not found under " << models_dir() << " (set SGL_MODELS_DIR)");
    return;
  }
  CHECK(llama3->size() == 128256);
  CHECK(llama2->size() == 32000);
  CHECK(llama2->tokens[13] == "\n");  // <0x0A>
  CHECK(llama3->tokens[220] == " ");  // GPT-2 byte map: 'Ġ'
  CHECK(llama3->eos_ids.size() >= 1);
  check_vocab(llama3, "llama3");
  check_vocab(llama2, "llama2");
}

TEST_CASE("jump-forward: forced keys are appended and re-tokenised at the boundary") {
  auto llama3 = load("tokenizers/llama3-tokenizer-json/tokenizer.json");
  if (!llama3) {
    MESSAGE("SKIPPED: tokenizers not found under " << models_dir());
    return;
  }
  auto trie = std::make_shared<const TokenTrie>(llama3);
  auto dfa = compile_json_schema(
      R"({"type":"object","properties":{"customer_full_name":{"type":"string"},"shipping_address_line":{"type":"string"}},"required":["customer_full_name","shipping_address_line"]})",
      {JsonWhitespace::Compact});
  // A greedy stand-in tokenizer; the contract only needs a deterministic text -> ids function.
  TokenizeFn tokenize = [&](std::string_view t) { return greedy_tokens(*llama3, std::string(t)); };
  std::vector<int32_t> toks;
  int32_t s = dfa->start();
  JumpForward j = jump_forward(*dfa, s, *llama3, toks, tokenize);
  CHECK(j.forced == "{\"customer_full_name\":\"");
  std::string text;
  for (int32_t t : j.append_tokens) text += llama3->tokens[t];
  CHECK(text == j.forced);
  toks.assign(j.append_tokens.begin(), j.append_tokens.end());
  s = j.state;
  // The model writes a name and the closing quote; then the next key is forced.
  for (int32_t t : greedy_tokens(*llama3, "Ada\"")) {
    s = TokenMasker(dfa, trie).advance(s, t);
    toks.push_back(t);
  }
  j = jump_forward(*dfa, s, *llama3, toks, tokenize);
  CHECK(j.forced == ",\"shipping_address_line\":\"");
  CHECK(j.keep_tokens == toks.size() - 1);
  std::string all;
  for (size_t i = 0; i < j.keep_tokens; ++i) all += llama3->tokens[toks[i]];
  for (int32_t t : j.append_tokens) all += llama3->tokens[t];
  CHECK(all == "{\"customer_full_name\":\"Ada\",\"shipping_address_line\":\"");
  CHECK(dfa->walk(dfa->start(), all) == j.state);
}

TEST_CASE("Llama 3: bulk subtree acceptance equals the plain walk on random states of schemas") {
  // The masks the benchmark's slow states need (inside JSON strings, maxLength counters, formats
  // like email) computed with bulk acceptance must equal the node-by-node walk, on random token
  // walks through each constraint; and inside a free JSON string the walk must skip most nodes.
  auto llama3 = load("tokenizers/llama3-tokenizer-json/tokenizer.json");
  if (!llama3) {
    MESSAGE("SKIPPED: tokenizers not found under " << models_dir() << " (set SGL_MODELS_DIR)");
    return;
  }
  auto trie = std::make_shared<const TokenTrie>(llama3);
  std::mt19937 rng(3);
  for (const char* schema :
       {R"({"type":"object","properties":{"note":{"type":"string"},"n":{"type":"integer"}},"required":["note","n"]})",
        R"({"type":"object","properties":{"name":{"type":"string","maxLength":40},"mail":{"type":"string","format":"email"}},"required":["name","mail"]})",
        R"({"type":"array","items":{"anyOf":[{"type":"string","maxLength":12},{"type":"null"}]},"maxItems":4})"}) {
    auto dfa = compile_json_schema(schema);
    TokenMasker bulk(dfa, trie), plain(dfa, trie);
    plain.set_bulk(false);
    for (int walk = 0; walk < 3; ++walk) {
      int32_t s = dfa->start();
      for (int step = 0; step < 25 && s != LazyDfa::kDead; ++step) {
        TokenMask want = plain.compute(s);
        CHECK_MESSAGE(bulk.compute(s) == want, std::string(schema) << " state " << s);
        std::vector<int32_t> allowed;
        for (size_t id = 0; id < llama3->size(); ++id)
          if (want.test(static_cast<int32_t>(id)) && !bulk.is_eos(static_cast<int32_t>(id))) allowed.push_back(static_cast<int32_t>(id));
        if (allowed.empty()) break;
        s = bulk.advance(s, allowed[rng() % allowed.size()]);
      }
    }
  }
  auto dfa = compile_regex("\"[^\"\\\\\\x00-\\x1F]*\"");
  int32_t in = dfa->next(dfa->start(), '"');
  TokenMasker bulk(dfa, trie), plain(dfa, trie);
  plain.set_bulk(false);
  CHECK(bulk.compute(in) == plain.compute(in));
  CHECK(bulk.stats().walked_nodes * 5 < plain.stats().walked_nodes);
  MESSAGE("inside a JSON string: " << bulk.stats().walked_nodes << " nodes walked with bulk acceptance, "
                                   << plain.stats().walked_nodes << " without");
}

TEST_CASE("Llama 3: maxLength strings near their bound, multi-byte text: class-index masks equal the plain walk") {
  // The benchmark's slowest states before the class index: inside a maxLength string a few
  // characters from the bound. At every distance (after ASCII, 2-, 3-, 4-byte characters and
  // escapes, and inside a character) the mask must equal the node-by-node walk, and near the
  // bound it must come from the class index with only the other tokens walked.
  auto llama3 = load("tokenizers/llama3-tokenizer-json/tokenizer.json");
  if (!llama3) {
    MESSAGE("SKIPPED: tokenizers not found under " << models_dir() << " (set SGL_MODELS_DIR)");
    return;
  }
  auto trie = std::make_shared<const TokenTrie>(llama3);
  std::mt19937 rng(23);
  const char* chars[] = {"a", "Q", " ", "9", "}", "\\n", "\\u00e9", "\xC3\xA9", "\xE2\x82\xAC", "\xE4\xB8\xAD",
                         "\xF0\x9F\x98\x80"};
  size_t states = 0;
  for (int n : {3, 8, 17, 30}) {
    std::string schema = R"({"type":"object","properties":{"s":{"type":"string","maxLength":)" +
                         std::to_string(n) + R"(}},"required":["s"]})";
    auto dfa = compile_json_schema(schema, {JsonWhitespace::Compact});
    TokenMasker bulk(dfa, trie), plain(dfa, trie);
    plain.set_bulk(false);
    for (int rep = 0; rep < 2; ++rep) {
      int32_t s = dfa->walk(dfa->start(), "{\"s\":\"");
      REQUIRE(s != LazyDfa::kDead);
      for (int k = 0; k <= n; ++k) {
        uint64_t class_masks = bulk.stats().class_masks;
        TokenMask want = plain.compute(s);
        CHECK_MESSAGE(bulk.compute(s) == want, "maxLength " << n << " after " << k << " characters");
        if (n - k < 24) CHECK(bulk.stats().class_masks == class_masks + 1);
        ++states;
        std::string c = chars[rng() % std::size(chars)];
        if (static_cast<uint8_t>(c[0]) >= 0xC0) {  // and the state inside that character
          int32_t mid = dfa->next(s, static_cast<uint8_t>(c[0]));
          CHECK_MESSAGE(bulk.compute(mid) == plain.compute(mid), "maxLength " << n << " inside character " << k + 1);
          ++states;
        }
        s = dfa->walk(s, c);
      }
      // At the bound only the closing quote (and tokens starting with it) remain.
      TokenMask at_bound = bulk.compute(s);
      CHECK(at_bound == plain.compute(s));
      for (int32_t id : trie->token_ids())
        if (at_bound.test(id)) CHECK(llama3->tokens[static_cast<size_t>(id)][0] == '"');
    }
  }
  // Email-like runs (not plain text: no class-index route): near the bound the walk picks the
  // tokens of alphanumeric subtrees by length.
  auto email = compile_regex("[a-zA-Z0-9._%+-]{1,20}@[a-z]{1,9}\\.com");
  TokenMasker bulk(email, trie), plain(email, trie);
  plain.set_bulk(false);
  const char* run[] = {"a", "Z", "7", ".", "_", "-", "%"};
  for (int rep = 0; rep < 3; ++rep) {
    int32_t s = email->start();
    for (int k = 0; k <= 20; ++k) {
      CHECK_MESSAGE(bulk.compute(s) == plain.compute(s), "email local part after " << k << " characters");
      ++states;
      s = email->walk(s, run[rng() % std::size(run)]);
    }
  }
  CHECK(bulk.stats().exact_subtrees > 0);
  MESSAGE("maxLength strings and email runs: " << states << " states compared");
}
