// Implementation of `sglc grammar` (see grammar_cli.h). Mask timings come from random walks
// through the automaton token by token, the way a sampler would use it.
#include "grammar_cli.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <ostream>
#include <random>
#include <sstream>

#include "constraint.h"
#include "constraint_error.h"
#include "token_masker.h"
#include "vocab_bytes.h"

namespace sgl {

using namespace constraint;

namespace {

using Clock = std::chrono::steady_clock;
double us_since(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

bool read_file(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *text = ss.str();
  return true;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int cli_grammar(const GrammarCliOptions& o, std::ostream& out, std::ostream& err) {
  if (o.regex.has_value() == o.json_schema_file.has_value()) {
    err << "sglc grammar: error: give exactly one of --regex or --json-schema\n";
    return 2;
  }
  std::shared_ptr<LazyDfa> dfa;
  auto t0 = Clock::now();
  try {
    if (o.regex) {
      dfa = compile_regex(*o.regex);
    } else {
      std::string schema;
      if (!read_file(*o.json_schema_file, &schema)) {
        err << "sglc grammar: error: cannot read " << *o.json_schema_file << "\n";
        return 2;
      }
      dfa = compile_json_schema(schema);
    }
  } catch (const ConstraintError& e) {
    err << "sglc grammar: error: " << e.what() << "\n";
    if (o.regex && e.offset() != ConstraintError::npos && e.offset() <= o.regex->size())
      err << "  " << *o.regex << "\n  " << std::string(e.offset(), ' ') << "^\n";
    return 2;
  }
  double compile_ms = us_since(t0) / 1000.0;

  int status = 0;
  if (o.check_file) {
    std::string text;
    if (!read_file(*o.check_file, &text)) {
      err << "sglc grammar: error: cannot read " << *o.check_file << "\n";
      return 2;
    }
    try {
      int32_t s = dfa->start();
      size_t i = 0;
      for (; i < text.size() && s != LazyDfa::kDead; ++i) s = dfa->next(s, static_cast<uint8_t>(text[i]));
      if (!dfa->accepting(s)) {
        status = 1;
        if (s == LazyDfa::kDead)
          err << "sglc grammar: no match: rejected at byte " << (i - 1) << "\n";
        else
          err << "sglc grammar: no match: text ends before the constraint is satisfied\n";
      }
    } catch (const ConstraintError& e) {
      err << "sglc grammar: error: " << e.what() << "\n";
      return 2;
    }
  }

  if (o.stats) {
    nlohmann::ordered_json j;
    j["compile_ms"] = compile_ms;
    if (o.model) {
      std::shared_ptr<const Vocabulary> vocab;
      try {
        vocab = std::make_shared<const Vocabulary>(o.load_vocab ? o.load_vocab(*o.model) : load_vocabulary(*o.model));
      } catch (const std::exception& e) {
        err << "sglc grammar: error: cannot load vocabulary from " << *o.model << ": " << e.what() << "\n";
        return 2;
      }
      auto tt = Clock::now();
      auto trie = std::make_shared<const TokenTrie>(vocab);
      j["vocab_size"] = vocab->size();
      j["trie_ms"] = us_since(tt) / 1000.0;
      TokenMasker masker(dfa, trie);
      std::vector<double> fresh, cached;
      std::mt19937 rng(42);
      try {
        for (int walk = 0; walk < 20; ++walk) {
          int32_t s = dfa->start();
          for (int step = 0; step < 64 && s != LazyDfa::kDead; ++step) {
            uint64_t misses = masker.stats().misses;
            auto t = Clock::now();
            auto m = masker.mask(s);
            double us = us_since(t);
            (masker.stats().misses > misses ? fresh : cached).push_back(us);
            t = Clock::now();
            masker.mask(s);
            cached.push_back(us_since(t));
            std::vector<int32_t> allowed;
            for (size_t id = 0; id < vocab->size(); ++id)
              if (m->test(static_cast<int32_t>(id))) allowed.push_back(static_cast<int32_t>(id));
            if (allowed.empty()) break;
            int32_t tok = allowed[rng() % allowed.size()];
            if (masker.is_eos(tok)) break;
            s = masker.advance(s, tok);
          }
        }
      } catch (const ConstraintError& e) {
        err << "sglc grammar: error: " << e.what() << "\n";
        return 2;
      }
      j["masks_measured"] = fresh.size();
      j["mask_new_us_p50"] = percentile(fresh, 0.5);
      j["mask_new_us_p99"] = percentile(fresh, 0.99);
      j["mask_cached_us_p50"] = percentile(cached, 0.5);
      j["mask_cached_us_p99"] = percentile(cached, 0.99);
    }
    bool complete = false;
    try {
      complete = dfa->explore(20000);
    } catch (const ConstraintError&) {
    }
    j["states"] = dfa->num_states();
    j["states_complete"] = complete;
    out << j.dump() << "\n";
  }
  return status;
}

}  // namespace sgl
