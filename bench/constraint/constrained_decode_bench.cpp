// End-to-end cost of constrained decoding: the same gens through the real model backend
// (runtime/program make_model_backend -> serve::Scheduler -> CPU engine) with no constraint, a
// JSON schema whose string allows any text, and the regex [^\n]{0,200}; reports tokens/s and the
// slowdown per generated token, for masks first computed (cold: a fresh backend) and cached
// (warm: the same backend again, as when a server reuses a schema). The owner callback's time
// (mask + sampling + stop checks) is reported apart from the scheduler step.
// Greedy by default: argmax costs the same whatever the mask, so the difference is the
// constraint's own cost (at --temperature 1 the sampler's sort shrinks with the allowed set and
// constrained decoding comes out faster, which hides it).
// Usage: sgl-constrained-decode-bench [--threads N] [--requests R] [--tokens T] [--reps K]
//                                     [--temperature X] [model...]
//   default models: random:stories15M and ../shared/models/stories260K/stories260K.bin
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backend.h"
#include "model_backend.h"

using namespace sgl;
using Clock = std::chrono::steady_clock;

namespace {

struct Mode {
  const char* name;
  ConstraintKind kind;
  const char* text;
};

const Mode kModes[] = {
    {"none", ConstraintKind::None, ""},
    {"json string", ConstraintKind::JsonSchema,
     R"({"type":"object","properties":{"story":{"type":"string"}},"required":["story"]})"},
    {"regex [^\\n]{0,200}", ConstraintKind::Regex, "[^\\n]{0,200}"},
};

struct Result {
  double seconds = 0, owner_seconds = 0;
  int64_t tokens = 0;
};

// R gens (fixed seeds, EOS ignored) of up to T tokens, all in flight together.
Result run(Backend& b, const Mode& m, int requests, int tokens, double temperature) {
  std::vector<Request> reqs(static_cast<size_t>(requests));
  auto before = nlohmann::json::parse(b.stats_json());
  auto t0 = Clock::now();
  for (int i = 0; i < requests; ++i) {
    Request& r = reqs[static_cast<size_t>(i)];
    r.id = static_cast<uint64_t>(i) + 1;
    r.prompt = "Once upon a time";
    r.gen.max_tokens = tokens;
    r.gen.temperature = temperature;
    r.gen.ignore_eos = true;
    r.gen.seed = 7 + static_cast<uint64_t>(i);
    r.gen.constraint = m.kind;
    r.gen.constraint_text = m.text;
    b.submit(&r);
  }
  int finished = 0;
  std::vector<Request*> done;
  while (finished < requests) {
    done.clear();
    b.step(done);
    finished += static_cast<int>(done.size());
  }
  Result res;
  res.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  auto after = nlohmann::json::parse(b.stats_json());
  res.tokens = after["generated_tokens"].get<int64_t>() - before["generated_tokens"].get<int64_t>();
  res.owner_seconds = after["owner_seconds"].get<double>() - before["owner_seconds"].get<double>();
  for (const Request& r : reqs)
    if (!r.error.empty()) std::fprintf(stderr, "%s: error: %s\n", m.name, r.error.c_str());
  return res;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, requests = 1, tokens = 200, reps = 5;
  double temperature = 0;
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto num = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (a == "--threads") threads = num();
    else if (a == "--requests") requests = num();
    else if (a == "--tokens") tokens = num();
    else if (a == "--reps") reps = num();
    else if (a == "--temperature" && i + 1 < argc) temperature = std::atof(argv[++i]);
    else models.push_back(a);
  }
  if (models.empty()) models = {"random:stories15M", SGL_MODELS_DIR "/stories260K/stories260K.bin"};
  std::printf("%d thread(s), %d request(s) in flight, up to %d tokens each, temperature %g, median of %d reps\n",
              threads, requests, tokens, temperature, reps);
  for (const std::string& model : models) {
    ModelBackendOptions o;
    o.threads = threads;
    // Cold: a fresh backend per rep, so every mask is computed (and every automaton state built)
    // during the gen. Warm: one backend, first rep discarded, masks cached from then on.
    std::printf("\n%s\n%-22s %12s %12s %12s %12s %10s\n", model.c_str(), "constraint", "cold tok/s", "warm tok/s",
                "tokens/gen", "owner us/tok", "slowdown");
    // Modes interleaved within each rep, so that load changes on a shared machine hit all alike.
    const size_t nm = std::size(kModes);
    std::vector<std::vector<double>> cold(nm), warm(nm), owner(nm);
    std::vector<int64_t> toks(nm);
    auto warm_backend = make_model_backend(model, o);
    for (const Mode& m : kModes) run(*warm_backend, m, requests, tokens, temperature);  // warms masks, engine
    for (int r = 0; r < reps; ++r)
      for (size_t k = 0; k < nm; ++k) {
        auto fresh = make_model_backend(model, o);
        Result c = run(*fresh, kModes[k], requests, tokens, temperature);
        cold[k].push_back(static_cast<double>(c.tokens) / c.seconds);
        Result w = run(*warm_backend, kModes[k], requests, tokens, temperature);
        warm[k].push_back(static_cast<double>(w.tokens) / w.seconds);
        owner[k].push_back(w.owner_seconds * 1e6 / static_cast<double>(std::max<int64_t>(w.tokens, 1)));
        toks[k] = w.tokens;
      }
    const double base_cold = median(cold[0]), base_warm = median(warm[0]);
    for (size_t k = 0; k < nm; ++k) {
      double mc = median(cold[k]), mw = median(warm[k]);
      std::printf("%-22s %12.1f %12.1f %12.1f %12.1f", kModes[k].name, mc, mw,
                  static_cast<double>(toks[k]) / requests, median(owner[k]));
      if (k == 0) std::printf(" %10s\n", "-");
      else std::printf("  cold %+.1f%%, warm %+.1f%%\n", (base_cold / mc - 1) * 100, (base_warm / mw - 1) * 100);
    }
  }
  return 0;
}
