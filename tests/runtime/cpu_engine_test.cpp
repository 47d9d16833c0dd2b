#include "cpu_engine.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

#include "model_loader.h"
#include "test_models.h"
#include "tokenizer.h"

using namespace sgl;
using sgl::test::have_model;
using sgl::test::model_path;

namespace {

std::string read_all(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Greedy decoding from BOS: n tokens in all (BOS included), one token per forward. llama2.c's
// "200 steps" prints 200 generated tokens, so its reference text is BOS + 200.
std::vector<int32_t> greedy(Engine& e, int n, std::vector<std::vector<float>>* logits_out = nullptr) {
  auto& kv = e.kv_pool();
  std::vector<int32_t> toks = {e.config().bos_id}, slots;
  std::vector<float> logits;
  while ((int)toks.size() < n) {
    int pos = (int)toks.size() - 1;
    slots.push_back(kv.alloc());
    SeqInput s;
    s.tokens = std::span<const int32_t>(&toks[pos], 1);
    s.pos = pos;
    s.slots = slots;
    e.forward(std::span<const SeqInput>(&s, 1), logits);
    if (logits_out) logits_out->push_back(logits);
    toks.push_back((int32_t)(std::max_element(logits.begin(), logits.end()) - logits.begin()));
  }
  kv.release(slots);
  return toks;
}

}  // namespace

TEST_CASE("stories260K greedy 200 reproduces llama2.c from .bin, GGUF and HF" * doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K.bin")) return;
  std::string expected = read_all(model_path("stories260K/expected_greedy_200.txt"));
  std::vector<std::vector<std::vector<float>>> all_logits;
  for (std::string p : {"stories260K/stories260K.bin", "stories260K-gguf/stories260K.gguf", "stories260K-hf"}) {
    if (!have_model(p)) continue;
    CAPTURE(p);
    std::shared_ptr<const Model> m = load_model(model_path(p));
    auto tok = load_tokenizer(model_path(p));
    auto eng = make_cpu_engine(m, {2, 512});
    std::vector<std::vector<float>> lg;
    auto ids = greedy(*eng, 201, &lg);
    CHECK(tok->decode(ids) == expected);
    all_logits.push_back(std::move(lg));
  }
  for (size_t f = 1; f < all_logits.size(); ++f) {
    float maxdiff = 0;
    for (size_t s = 0; s < all_logits[0].size() && s < all_logits[f].size(); ++s)
      for (size_t i = 0; i < all_logits[0][s].size(); ++i)
        maxdiff = std::max(maxdiff, std::fabs(all_logits[0][s][i] - all_logits[f][s][i]));
    CHECK(maxdiff < 1e-5f);
  }
}
