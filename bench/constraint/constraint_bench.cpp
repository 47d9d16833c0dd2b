// Constrained-decoding benchmark, one thread, Llama 3 vocabulary: trie build, schema compile
// p50/p90 over generated realistic schemas, mask p50/p99 for new and cached states, and the
// jump-forward saving on a schema with long keys. Usage: constraint_bench [tokenizer.json]
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "constraint.h"
#include "json_schema.h"
#include "token_masker.h"
#include "vocab_bytes.h"

using namespace sgl::constraint;
using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

namespace {

double us_since(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

// CPU time of this thread: unlike wall time it leaves out the time the thread waits while other
// processes run, so percentiles stay meaningful on a loaded machine.
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

const char* kWords[] = {"id", "name", "email", "created_at", "status", "price", "quantity", "tags",
                        "address", "city", "zip", "country", "items", "description", "title",
                        "author", "rating", "enabled", "metadata", "user", "order_id", "total",
                        "currency", "phone", "notes", "priority", "due_date", "score", "url"};

// A realistic API-style schema: objects of 2..12 properties mixing every supported feature.
json random_schema(std::mt19937& rng, int depth, json& defs) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  int kind = depth >= 3 ? pick(7) : pick(11);
  switch (kind) {
    case 0: return {{"type", "string"}, {"maxLength", 8 + pick(120)}};
    case 1: return {{"type", "string"}, {"format", std::vector<std::string>{"date", "date-time", "uuid", "email", "time"}[pick(5)]}};
    case 2: return {{"type", "integer"}, {"minimum", 0}, {"maximum", 10 + pick(100000)}};
    case 3: return {{"type", "number"}};
    case 4: return {{"type", "boolean"}};
    case 5: return {{"enum", {"low", "medium", "high", "urgent"}}};
    case 6: return {{"anyOf", {{{"type", "string"}, {"maxLength", 40}}, {{"type", "null"}}}}};
    case 7: return {{"type", "array"}, {"items", random_schema(rng, depth + 1, defs)}, {"maxItems", 1 + pick(10)}};
    case 8: {
      json def = random_schema(rng, depth + 1, defs);  // may add defs itself: name it after
      std::string name = "Def" + std::to_string(defs.size());
      defs[name] = def;
      return {{"$ref", "#/$defs/" + name}};
    }
    case 9: return {{"type", "string"}, {"pattern", "^[A-Z]{2}-[0-9]{4}$"}};
    default: break;
  }
  json props = json::object(), req = json::array();
  int n = 2 + pick(11);
  for (int i = 0; i < n; ++i) {
    std::string key = std::string(kWords[pick(29)]) + (i ? "_" + std::to_string(i) : "");
    props[key] = random_schema(rng, depth + 1, defs);
    if (pick(3)) req.push_back(key);
  }
  return {{"type", "object"}, {"properties", props}, {"required", req}, {"additionalProperties", false}};
}

}  // namespace

int main(int argc, char** argv) {
  // --no-bulk: the plain node-by-node mask walk (the numbers before bulk subtree acceptance).
  // --slowest: also print the 12 slowest new-state masks (CPU time, nodes walked, the text
  // generated so far in that walk).
  // --schema N: only the N-th generated schema's masks (to profile one slow case).
  bool bulk = true, slowest = false;
  int only_schema = -1;
  for (; argc > 1 && std::string(argv[1]).rfind("--", 0) == 0; --argc, ++argv) {
    if (std::string(argv[1]) == "--no-bulk") {
      bulk = false;
    } else if (std::string(argv[1]) == "--slowest") {
      slowest = true;
    } else if (std::string(argv[1]) == "--schema" && argc > 2) {
      only_schema = std::stoi(argv[2]);
      --argc;
      ++argv;
    } else {
      std::fprintf(stderr, "usage: constraint_bench [--no-bulk] [--slowest] [--schema N] [tokenizer.json]\n");
      return 2;
    }
  }
  std::string path = argc > 1 ? argv[1] : SGL_MODELS_DIR "/tokenizers/llama3-tokenizer-json/tokenizer.json";
  auto vocab = std::make_shared<const Vocabulary>(load_vocabulary(path));
  std::printf("vocabulary: %zu tokens (%s)\n", vocab->size(), path.c_str());

  std::vector<double> trie_ms, trie_cpu_ms;
  std::shared_ptr<const TokenTrie> trie;
  for (int i = 0; i < 5; ++i) {
    double cpu0 = thread_cpu_us();
    auto t = Clock::now();
    trie = std::make_shared<const TokenTrie>(vocab);
    trie_ms.push_back(us_since(t) / 1000);
    trie_cpu_ms.push_back((thread_cpu_us() - cpu0) / 1000);
  }
  std::printf("trie build: %.1f ms (median of 5; thread CPU time %.1f ms), %zu nodes\n", pct(trie_ms, 0.5),
              pct(trie_cpu_ms, 0.5), trie->num_nodes());
  if (bulk) {
    // Built lazily on the first mask that needs it, once per vocabulary: timed here so that the
    // mask percentiles below measure masks, like the trie build.
    double cpu0 = thread_cpu_us();
    auto t = Clock::now();
    const TokenTrie::ClassIndex& ix = trie->class_index(TokenTrie::kPlain);
    std::printf("plain-text class index (once per vocabulary, on first use): %.1f ms (thread CPU time %.1f ms), "
                "%zu class tokens, %zu other tokens' trie nodes\n",
                us_since(t) / 1000, (thread_cpu_us() - cpu0) / 1000, ix.class_tokens, ix.rest->num_nodes());
  }

  std::mt19937 rng(2024);
  std::vector<std::string> schemas;
  for (int i = 0; i < 250; ++i) {
    json defs = json::object();
    json s = random_schema(rng, 0, defs);
    if (!s.contains("properties")) s = {{"type", "object"}, {"properties", {{"value", s}}}, {"required", {"value"}}};
    if (!defs.empty()) s["$defs"] = defs;
    schemas.push_back(s.dump());
  }

  std::vector<double> compile_ms, fresh_us, fresh_cpu_us, cached_us;
  size_t failures = 0, states = 0;
  struct Slow {
    double cpu_us;
    uint64_t walked;
    size_t new_states;
    size_t schema;
    std::string text;
  };
  std::vector<Slow> slow;
  for (const std::string& text : schemas) {
    const size_t schema_index = static_cast<size_t>(&text - schemas.data());
    if (only_schema >= 0 && schema_index != static_cast<size_t>(only_schema)) continue;
    std::shared_ptr<LazyDfa> dfa;
    auto t = Clock::now();
    try {
      dfa = compile_json_schema(text);
    } catch (const std::exception& e) {
      ++failures;
      std::printf("compile failure: %s\n", e.what());
      continue;
    }
    compile_ms.push_back(us_since(t) / 1000);
    TokenMasker masker(dfa, trie);
    masker.set_bulk(bulk);
    std::mt19937 walk_rng(static_cast<unsigned>(text.size()));
    for (int walk = 0; walk < 3; ++walk) {
      int32_t s = dfa->start();
      std::string out;  // the text generated so far (for --slowest)
      for (int step = 0; step < 60; ++step) {
        uint64_t misses = masker.stats().misses, walked = masker.stats().walked_nodes;
        size_t num_states = dfa->num_states();
        double cpu0 = thread_cpu_us();
        auto t0 = Clock::now();
        auto m = masker.mask(s);
        double us = us_since(t0), cpu = thread_cpu_us() - cpu0;
        if (masker.stats().misses > misses) {
          fresh_us.push_back(us);
          fresh_cpu_us.push_back(cpu);
          if (slowest) slow.push_back({cpu, masker.stats().walked_nodes - walked, dfa->num_states() - num_states, schema_index, out});
        }
        t0 = Clock::now();
        auto again = masker.mask(s);
        cached_us.push_back(us_since(t0));
        std::vector<int32_t> allowed;
        for (size_t w = 0; w < m->words.size(); ++w)
          for (uint32_t bits = m->words[w]; bits; bits &= bits - 1)
            allowed.push_back(static_cast<int32_t>(w * 32 + static_cast<size_t>(__builtin_ctz(bits))));
        if (allowed.empty()) break;
        int32_t tok = allowed[walk_rng() % allowed.size()];
        if (masker.is_eos(tok)) break;
        s = masker.advance(s, tok);
        if (slowest) out += vocab->tokens[static_cast<size_t>(tok)];
      }
    }
    states += dfa->num_states();
  }
  std::printf("schemas: %zu compiled, %zu failed; compile p50 %.3f ms, p90 %.3f ms, max %.3f ms\n",
              compile_ms.size(), failures, pct(compile_ms, 0.5), pct(compile_ms, 0.9),
              pct(compile_ms, 1.0));
  std::printf("masks (new states, %zu): p50 %.1f us, p99 %.1f us, max %.1f us\n", fresh_us.size(),
              pct(fresh_us, 0.5), pct(fresh_us, 0.99), pct(fresh_us, 1.0));
  std::printf("masks (new states, thread CPU time): p50 %.1f us, p99 %.1f us, max %.1f us\n",
              pct(fresh_cpu_us, 0.5), pct(fresh_cpu_us, 0.99), pct(fresh_cpu_us, 1.0));
  std::printf("masks (cached, %zu): p50 %.3f us, p99 %.3f us\n", cached_us.size(),
              pct(cached_us, 0.5), pct(cached_us, 0.99));
  std::printf("automaton states materialised: %zu in all\n", states);
  std::sort(slow.begin(), slow.end(), [](const Slow& a, const Slow& b) { return a.cpu_us > b.cpu_us; });
  for (size_t i = 0; i < slow.size() && i < 12; ++i)
    std::printf("  slow: %.0f us CPU, %llu nodes walked, %zu automaton states added, schema %zu, after ...%s (JSON-escaped)\n",
                slow[i].cpu_us, static_cast<unsigned long long>(slow[i].walked), slow[i].new_states, slow[i].schema,
                json(slow[i].text.substr(slow[i].text.size() > 60 ? slow[i].text.size() - 60 : 0))
                    .dump(-1, ' ', false, json::error_handler_t::replace).c_str());

  // Jump-forward: a document with long keys; the "model" emits the longest allowed token that
  // continues the target text. Steps = model decode steps needed for the whole document.
  json props = json::object(), req = json::array();
  for (const char* k : {"customer_account_identifier", "shipping_destination_address_line",
                        "preferred_delivery_time_window", "is_gift_wrapping_requested",
                        "loyalty_program_membership_tier", "internal_fulfillment_notes"}) {
    props[k] = std::string(k).find("is_") == 0 ? json{{"type", "boolean"}} : json{{"type", "string"}, {"maxLength", 24}};
    req.push_back(k);
  }
  std::string long_keys = json{{"type", "object"}, {"properties", props}, {"required", req}}.dump();
  auto dfa = compile_json_schema(long_keys, {JsonWhitespace::Compact});
  TokenMasker masker(dfa, trie);
  std::string target = "{";
  for (auto it = props.begin(); it != props.end(); ++it)
    target += std::string(target.size() > 1 ? "," : "") + "\"" + it.key() + "\":" +
              (it.value()["type"] == "boolean" ? "true" : "\"ACME 42 Main St\"");
  target += "}";
  if (!dfa->full_match(target)) std::printf("internal: jump-forward target does not match\n");
  auto simulate = [&](bool jump, double* us) {
    int32_t s = dfa->start();
    size_t i = 0, steps = 0;
    auto t0 = Clock::now();
    while (i < target.size()) {
      if (jump) {
        std::string f = dfa->forced_bytes(s);
        if (!f.empty()) {
          s = dfa->walk(s, f);
          i += f.size();
          continue;
        }
      }
      auto m = masker.mask(s);
      int32_t best = -1;
      size_t best_len = 0;
      for (size_t id = 0; id < vocab->size(); ++id) {
        const std::string& t = vocab->tokens[id];
        if (t.size() > best_len && m->test(static_cast<int32_t>(id)) && target.compare(i, t.size(), t) == 0) {
          best = static_cast<int32_t>(id);
          best_len = t.size();
        }
      }
      if (best < 0) break;
      s = masker.advance(s, best);
      i += best_len;
      ++steps;
    }
    *us = us_since(t0);
    return steps;
  };
  double us_plain, us_jump;
  size_t plain = simulate(false, &us_plain), jumped = simulate(true, &us_jump);
  std::printf("jump-forward on %zu-byte long-key document: %zu model steps without, %zu with "
              "(%.2fx fewer decode steps)\n", target.size(), plain, jumped,
              static_cast<double>(plain) / static_cast<double>(std::max<size_t>(jumped, 1)));
  return 0;
}
