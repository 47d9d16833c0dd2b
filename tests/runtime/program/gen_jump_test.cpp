// Jump-forward in the model backend (gen_jump.h): fragments re-tokenise to exactly their bytes
// with the real Llama 2 (SentencePiece, dummy prefix) and Llama 3 (byte-level BPE) tokenizers;
// every planned jump appends the forced bytes, ends in the right automaton state and never forces
// a last token that an allowed longer token extends (checked by brute force over the vocabulary);
// and through the backend, jumped gens still match their constraint while taking fewer engine
// steps than the same gens without jumps.
#include "gen_jump.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <re2/re2.h>

#include "../test_models.h"
#include "constraint.h"
#include "model_backend.h"
#include "model_loader.h"
#include "tokenizer.h"
#include "tokenizer_vocab.h"

using namespace sgl;
using namespace sgl::test;
using constraint::LazyDfa;

namespace {

struct Tok {
  std::shared_ptr<const Tokenizer> tok;
  std::shared_ptr<const constraint::Vocabulary> vocab;
  std::shared_ptr<const constraint::TokenTrie> trie;
};

Tok load(const std::string& rel) {
  Tok t;
  t.tok = load_tokenizer(model_path(rel));
  t.vocab = std::make_shared<constraint::Vocabulary>(vocabulary_from_tokenizer(*t.tok));
  t.trie = std::make_shared<constraint::TokenTrie>(t.vocab);
  return t;
}

std::string spell(const constraint::Vocabulary& v, std::span<const int32_t> ids) {
  std::string s;
  for (int32_t id : ids) s += v.tokens[static_cast<size_t>(id)];
  return s;
}

const char* const kTexts[] = {"{\"name\": \"", " Once upon a time", "\", \"", "abc", "\n\n  ", "é, ü and 日本",
                              "\": ", " \"", "}", "1234-56"};

// Constraints with long forced runs (JSON keys, literal regex parts).
const char* const kSchemas[] = {
    R"({"type":"object","properties":{"customer_full_name":{"type":"string","maxLength":12},"customer_age_in_years":{"type":"integer","minimum":0,"maximum":150},"is_premium_member":{"type":"boolean"}},"required":["customer_full_name","customer_age_in_years","is_premium_member"]})",
    R"({"type":"array","items":{"type":"object","properties":{"identifier":{"type":"string","format":"uuid"},"status":{"enum":["active","inactive"]}},"required":["identifier","status"]},"minItems":1,"maxItems":2})",
};
const char* const kRegexes[] = {R"(The answer is (yes|no)\. Confidence: [0-9]{1,2} percent\.)",
                                R"(\{"name":( )?"[a-z]{1,8}"\})"};

void check_tokenize(const Tok& t) {
  for (const char* text : kTexts) {
    CAPTURE(text);
    std::vector<int32_t> ids = tokenize_fragment(*t.tok, *t.vocab, text);
    REQUIRE_FALSE(ids.empty());
    CHECK(spell(*t.vocab, ids) == text);
  }
}

// Walks random allowed tokens through each constraint, planning a jump after every token; checks
// each plan against an independent brute-force reading of the vocabulary.
int check_plans(const Tok& t, std::shared_ptr<LazyDfa> (*compile)(const char*), const char* text, int walks) {
  constraint::TokenMasker m(compile(text), t.trie);
  LazyDfa& dfa = m.dfa();
  std::mt19937 rng(7);
  int jumps = 0;
  for (int w = 0; w < walks; ++w) {
    std::vector<int32_t> gen;
    int32_t prev = dfa.start(), state = dfa.start();
    for (int step = 0; step < 40 && !dfa.accepting(state); ++step) {
      const size_t retok = gen.empty() ? 0 : 1;
      const int32_t tail_state = retok ? prev : state;
      JumpPlan p;
      if (plan_jump(m, tail_state, state, gen, retok, *t.tok, &p)) {
        ++jumps;
        const std::string forced = dfa.forced_bytes(state, 256);
        const std::string tail = spell(*t.vocab, std::span<const int32_t>(gen).subspan(p.keep));
        CHECK(p.keep == gen.size() - retok);
        CHECK(spell(*t.vocab, p.append) == tail + p.text);
        CHECK(forced.compare(0, p.text.size(), p.text) == 0);  // a prefix of what is forced
        CHECK(p.state == dfa.walk(tail_state, tail + p.text));
        CHECK(p.state != LazyDfa::kDead);
        // Healing, by brute force: no allowed token strictly extends the last forced token.
        const std::string last = t.vocab->tokens[static_cast<size_t>(p.append.back())];
        const int32_t before = dfa.walk(tail_state, spell(*t.vocab, std::span<const int32_t>(p.append).first(p.append.size() - 1)));
        for (size_t id = 0; id < t.vocab->size(); ++id) {
          const std::string& s = t.vocab->tokens[id];
          if (t.vocab->special[id] || s.size() <= last.size() || s.compare(0, last.size(), last) != 0) continue;
          if (dfa.walk(before, s) != LazyDfa::kDead) FAIL("token " << id << " '" << s << "' extends forced '" << last << "'");
        }
        gen.resize(p.keep);
        gen.insert(gen.end(), p.append.begin(), p.append.end());
        prev = state = p.state;
        continue;
      }
      auto mask = m.mask(state);
      std::vector<int32_t> allowed;
      for (size_t id = 0; id < t.vocab->size(); ++id)
        if (mask->test(static_cast<int32_t>(id))) allowed.push_back(static_cast<int32_t>(id));
      if (allowed.empty()) break;
      const int32_t pick = allowed[rng() % allowed.size()];
      gen.push_back(pick);
      prev = state;
      state = m.advance(state, pick);
      REQUIRE(state != LazyDfa::kDead);
    }
  }
  return jumps;
}

std::shared_ptr<LazyDfa> regex(const char* r) { return constraint::compile_regex(r); }
std::shared_ptr<LazyDfa> schema(const char* s) {
  return constraint::compile_json_schema(s, {constraint::JsonWhitespace::Single});
}

}  // namespace

TEST_CASE("jump-forward: fragments re-tokenise to exactly their bytes (Llama 3 BPE, Llama 2 SentencePiece)") {
  if (!have_model("tokenizers/llama3-tokenizer-json/tokenizer.json") || !have_model("tokenizers/llama2-spm/tokenizer.model"))
    return;
  Tok l3 = load("tokenizers/llama3-tokenizer-json/tokenizer.json");
  check_tokenize(l3);
  // Byte-level BPE has no dummy prefix: the fragment is the tokenizer's own encoding.
  CHECK(tokenize_fragment(*l3.tok, *l3.vocab, "{\"name\": \"") == l3.tok->encode("{\"name\": \"", false));
  Tok l2 = load("tokenizers/llama2-spm/tokenizer.model");
  check_tokenize(l2);
}

TEST_CASE("jump-forward: plans append the forced bytes, land in the right state and heal the last token") {
  if (!have_model("tokenizers/llama3-tokenizer-json/tokenizer.json") || !have_model("tokenizers/llama2-spm/tokenizer.model"))
    return;
  for (const char* rel : {"tokenizers/llama3-tokenizer-json/tokenizer.json", "tokenizers/llama2-spm/tokenizer.model"}) {
    CAPTURE(rel);
    Tok t = load(rel);
    int jumps = 0;
    for (const char* s : kSchemas) jumps += check_plans(t, schema, s, 3);
    for (const char* r : kRegexes) jumps += check_plans(t, regex, r, 3);
    CHECK(jumps >= 20);  // long keys and literals: many jumps were planned and checked
  }
}

TEST_CASE("jump-forward: a last token that an allowed longer token extends is left to the model") {
  if (!have_model("tokenizers/llama3-tokenizer-json/tokenizer.json")) return;
  Tok t = load("tokenizers/llama3-tokenizer-json/tokenizer.json");
  // After `{"name":` the value may start with `"` or ` "`: forcing `":` would rule out the
  // tokenizer's `":"`; with the space required, the whole key is forced.
  constraint::TokenMasker opt(regex(R"(\{"name":( )?"[a-z]{1,8}"\})"), t.trie);
  JumpPlan p;
  REQUIRE(plan_jump(opt, opt.dfa().start(), opt.dfa().start(), {}, 0, *t.tok, &p));
  CHECK(p.text.size() < std::string("{\"name\":").size());
  constraint::TokenMasker fixed(regex(R"(\{"name": "[a-z]{1,8}"\})"), t.trie);
  REQUIRE(plan_jump(fixed, fixed.dfa().start(), fixed.dfa().start(), {}, 0, *t.tok, &p));
  CHECK(p.text.size() > std::string("{\"name\":").size());
}

namespace {

struct GenRun {
  std::vector<std::string> texts;
  nlohmann::json stats;
};

// n gens of one constraint at temperature 1 through the model backend, all in flight together.
GenRun run_gens(const std::string& model, ConstraintKind kind, const std::string& c, int n, bool jump) {
  ModelBackendOptions o;
  o.threads = 2;
  o.jump_forward = jump;
  std::unique_ptr<Backend> b = make_model_backend(model, o);
  std::vector<Request> reqs(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    Request& r = reqs[static_cast<size_t>(i)];
    r.id = static_cast<uint64_t>(i + 1);
    r.prompt = "Once upon a time, the record was: ";
    r.gen.max_tokens = 200;
    r.gen.temperature = 1.0;
    r.gen.seed = static_cast<uint64_t>(i);
    r.gen.constraint = kind;
    r.gen.constraint_text = c;
    b->submit(&r);
  }
  GenRun out;
  size_t finished = 0;
  while (finished < reqs.size()) {
    std::vector<Request*> done;  // step() works until it has something to report
    b->step(done);
    finished += done.size();
  }
  for (const Request& r : reqs) {
    CHECK_MESSAGE(r.error.empty(), r.error);
    out.texts.push_back(r.text);
  }
  out.stats = nlohmann::json::parse(b->stats_json());
  return out;
}

const char* const kCustomer =
    R"({"type":"object","properties":{"customer_full_name":{"type":"string","maxLength":12},"customer_age_in_years":{"type":"integer","minimum":0,"maximum":150},"is_premium_member":{"type":"boolean"}},"required":["customer_full_name","customer_age_in_years","is_premium_member"]})";
const char* const kAnswer = R"(The answer is (yes|no)\. Confidence: [0-9]{1,2} percent\.)";

void check_backend(const std::string& model) {
  CAPTURE(model);
  for (bool jump : {true, false}) {
    CAPTURE(jump);
    GenRun js = run_gens(model, ConstraintKind::JsonSchema, kCustomer, 24, jump);
    for (const std::string& t : js.texts) {
      CAPTURE(t);
      nlohmann::json v = nlohmann::json::parse(t, nullptr, false);
      REQUIRE(v.is_object());
      CHECK(v.size() == 3);
      REQUIRE(v["customer_full_name"].is_string());
      const std::string name = v["customer_full_name"].get<std::string>();
      // maxLength counts characters (code points), not bytes.
      CHECK(std::count_if(name.begin(), name.end(), [](char ch) { return (static_cast<uint8_t>(ch) & 0xC0) != 0x80; }) <= 12);
      CHECK((v["customer_age_in_years"].is_number_integer() && v["customer_age_in_years"].get<int64_t>() >= 0 &&
             v["customer_age_in_years"].get<int64_t>() <= 150));
      CHECK(v["is_premium_member"].is_boolean());
    }
    GenRun rx = run_gens(model, ConstraintKind::Regex, kAnswer, 24, jump);
    for (const std::string& t : rx.texts) CHECK_MESSAGE(RE2::FullMatch(t, kAnswer), t);
    if (jump) {
      CHECK(js.stats["jump_forwards"].get<int64_t>() >= 24 * 3);  // at least the three keys
      CHECK(rx.stats["jump_forwards"].get<int64_t>() >= 24 * 3);  // the start, after yes/no, after the digits
    } else {
      CHECK(js.stats["jump_forwards"].get<int64_t>() == 0);
      CHECK(rx.stats["jump_forwards"].get<int64_t>() == 0);
    }
    MESSAGE(model << (jump ? " with" : " without") << " jump-forward: schema " << js.stats.dump() << "; regex "
                  << rx.stats.dump());
  }
}

}  // namespace

TEST_CASE("jump-forward through the model backend: outputs still match, engine steps drop") {
  check_backend("random:stories15M");
  if (have_model("stories260K/stories260K.bin")) check_backend(model_path("stories260K/stories260K.bin"));
  // Fewer engine steps per generated token with jumps (same constraint, same seeds).
  auto per_token = [](const GenRun& g) {
    return g.stats["forwards"].get<double>() /
           (g.stats["generated_tokens"].get<double>() + g.stats["jump_forward_tokens"].get<double>());
  };
  GenRun on = run_gens("random:stories15M", ConstraintKind::JsonSchema, kCustomer, 8, true);
  GenRun off = run_gens("random:stories15M", ConstraintKind::JsonSchema, kCustomer, 8, false);
  CHECK(per_token(on) < 0.7 * per_token(off));
}
