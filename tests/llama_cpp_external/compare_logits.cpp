// Compares what llama.cpp computed on a GGUF file (llama_logits.mjs's JSON) with sglc's CPU engine
// on the same file: the tokenisation of the text, and the next-token logits at every position.
// usage: compare_logits MODEL.gguf LLAMA.json MAX_REL_DIFF
// Prints one line per position; exits 1 when a position's largest logit difference, relative to
// the largest |logit| of the row, exceeds MAX_REL_DIFF, when our top token is not llama.cpp's (a
// near tie within that same limit excepted), or when the tokenisations differ.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "cpu_engine.h"
#include "model_loader.h"
#include "tokenizer.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: compare_logits MODEL.gguf LLAMA.json MAX_REL_DIFF\n");
    return 2;
  }
  const std::string model_path = argv[1];
  const double tol = std::atof(argv[3]);
  std::ifstream in(argv[2]);
  const nlohmann::json j = nlohmann::json::parse(in);
  const std::vector<int32_t> ids = j.at("ids").get<std::vector<int32_t>>();
  const auto& ref = j.at("logits");
  bool ok = true;

  // Tokenisation of the text by the GGUF's embedded vocabulary (no BOS on either side).
  auto tok = sgl::load_tokenizer(model_path);
  const auto ours_ids = tok->encode(j.at("text").get<std::string>(), false);
  const auto their_ids = j.at("tokenize").get<std::vector<int32_t>>();
  if (ours_ids != their_ids) {
    std::printf("tokenize: differs (%zu vs llama.cpp %zu ids)\n", ours_ids.size(), their_ids.size());
    ok = false;
  } else {
    std::printf("tokenize: same %zu ids\n", ours_ids.size());
  }

  std::shared_ptr<const sgl::Model> model = sgl::load_model(model_path);
  sgl::CpuEngineOptions opt;
  opt.threads = 1;
  opt.kv_slots = (int)ids.size();
  sgl::CpuEngine eng(model, opt);
  std::vector<int32_t> slots(ids.size());
  for (size_t i = 0; i < slots.size(); ++i) slots[i] = (int32_t)i;
  sgl::SeqInput s;
  s.tokens = ids;
  s.pos = 0;
  s.slots = slots;
  s.all_logits = true;
  std::vector<float> logits;
  eng.forward(std::span<const sgl::SeqInput>(&s, 1), logits);
  const size_t V = (size_t)model->config.vocab_size;
  if (ref.size() != ids.size()) {
    std::printf("llama.cpp gave %zu rows for %zu ids\n", ref.size(), ids.size());
    return 1;
  }
  for (size_t p = 0; p < ids.size(); ++p) {
    const auto row = ref[p].get<std::vector<double>>();
    if (row.size() != V) {
      std::printf("pos %zu: llama.cpp vocabulary %zu, ours %zu\n", p, row.size(), V);
      return 1;
    }
    const float* o = logits.data() + p * V;
    double max_abs = 0, max_diff = 0;
    size_t top_o = 0, top_r = 0;
    for (size_t v = 0; v < V; ++v) {
      max_abs = std::max(max_abs, std::fabs(row[v]));
      max_diff = std::max(max_diff, std::fabs(row[v] - (double)o[v]));
      if (o[v] > o[top_o]) top_o = v;
      if (row[v] > row[top_r]) top_r = v;
    }
    const double rel = max_diff / std::max(max_abs, 1e-30);
    const bool same_top = top_o == top_r || (row[top_r] - row[top_o]) / std::max(max_abs, 1e-30) <= tol;
    const bool pass = rel <= tol && same_top;
    std::printf("pos %zu: max |logit| %.4f, max diff %.3g (relative %.3g, limit %.3g), top token %zu vs llama.cpp %zu%s\n",
                p, max_abs, max_diff, rel, tol, top_o, top_r, pass ? "" : "  FAIL");
    ok = ok && pass;
  }
  return ok ? 0 : 1;
}
