// sgl-serve-bench: token-level serving benchmark of runtime/serve. Many requests share one long
// prefix (a system prompt) and differ in a short suffix; each generates greedily. Runs the same
// workload with the radix cache on and off and prints one JSON line per run plus their ratio.
//   sgl-serve-bench [--model random:stories15M] [--requests 64] [--prefix 192] [--suffix 16]
//                   [--gen 32] [--threads 0] [--page 1] [--chunk 0] [--max-running 64] [--mode
//                   both|on|off]
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "engine.h"
#include "model_loader.h"
#include "random_model.h"
#include "scheduler.h"

using namespace sgl;

namespace {

struct Args {
  std::string model = "random:stories15M", mode = "both";
  int requests = 64, prefix = 192, suffix = 16, gen = 32, threads = 0, page = 1, chunk = 0,
      max_running = 64;
};

nlohmann::json run(std::shared_ptr<const Model> m, const Args& a, bool radix) {
  const ModelConfig& c = m->config;
  int32_t per_req = a.prefix + a.suffix + a.gen;
  auto eng =
      make_cpu_engine(m, {a.threads, per_req * std::min(a.requests, a.max_running) + per_req});
  serve::SchedulerOptions o;
  o.disable_radix_cache = !radix;
  o.page_size = a.page;
  o.chunked_prefill_size = a.chunk;
  o.max_running_requests = a.max_running;
  serve::Scheduler s(*eng, o);
  std::mt19937 rng(7);
  auto tok = [&] { return (int32_t)(3 + rng() % (uint32_t)(c.vocab_size - 3)); };
  std::vector<int32_t> prefix = {c.bos_id};
  while ((int)prefix.size() < a.prefix) prefix.push_back(tok());
  std::vector<serve::Request> reqs((size_t)a.requests);
  for (auto& r : reqs) {
    r.prompt = prefix;
    for (int i = 0; i < a.suffix; ++i) r.prompt.push_back(tok());
    r.max_new_tokens = a.gen;
  }
  auto t0 = std::chrono::steady_clock::now();
  std::vector<serve::Request*> done;
  for (auto& r : reqs) s.submit(&r);
  s.run_until_idle(done);
  double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int64_t gen_tokens = 0, prompt_tokens = 0;
  for (auto& r : reqs) {
    gen_tokens += r.completion_tokens;
    prompt_tokens += r.prompt_tokens;
  }
  nlohmann::json j = nlohmann::json::parse(s.stats_json());
  j["seconds"] = std::round(sec * 1000) / 1000;
  j["requests_per_s"] = std::round(a.requests / sec * 100) / 100;
  j["gen_tok_per_s"] = std::round((double)gen_tokens / sec);
  j["total_tok_per_s"] = std::round((double)(gen_tokens + prompt_tokens) / sec);
  j["threads"] = a.threads;
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--model")
      a.model = v;
    else if (k == "--mode")
      a.mode = v;
    else if (k == "--requests")
      a.requests = std::atoi(v.c_str());
    else if (k == "--prefix")
      a.prefix = std::atoi(v.c_str());
    else if (k == "--suffix")
      a.suffix = std::atoi(v.c_str());
    else if (k == "--gen")
      a.gen = std::atoi(v.c_str());
    else if (k == "--threads")
      a.threads = std::atoi(v.c_str());
    else if (k == "--page")
      a.page = std::atoi(v.c_str());
    else if (k == "--chunk")
      a.chunk = std::atoi(v.c_str());
    else if (k == "--max-running")
      a.max_running = std::atoi(v.c_str());
    else {
      std::cerr << "sgl-serve-bench: unknown option " << k << "\n";
      return 2;
    }
  }
  try {
    std::shared_ptr<const Model> m;
    std::string like;
    DType dt = DType::F32;
    if (parse_random_spec(a.model, &like, &dt))
      m = make_random_model(random_model_config(like), dt);
    else
      m = load_model(a.model);
    if (a.prefix + a.suffix + a.gen > m->config.max_seq_len) {
      std::cerr << "sgl-serve-bench: prefix + suffix + gen exceed the context ("
                << m->config.max_seq_len << ")\n";
      return 2;
    }
    nlohmann::json on, off;
    if (a.mode != "off") std::cout << (on = run(m, a, true)).dump() << "\n";
    if (a.mode != "on") std::cout << (off = run(m, a, false)).dump() << "\n";
    if (a.mode == "both") {
      double r = off["seconds"].get<double>() / on["seconds"].get<double>();
      std::cout << nlohmann::json{{"speedup_radix_on_vs_off", std::round(r * 100) / 100}}.dump()
                << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "sgl-serve-bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
