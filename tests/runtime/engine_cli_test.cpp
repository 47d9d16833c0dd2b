// The command-line entry points (engine_cli.h): output, exit codes and one-line errors.
#include "engine_cli.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_models.h"

using namespace sgl;
using sgl::test::have_model;
using sgl::test::model_path;

TEST_CASE("cli_complete: greedy from BOS reproduces stories260K" * doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K.bin")) return;
  std::ifstream in(model_path("stories260K/expected_greedy_200.txt"), std::ios::binary);
  std::string expected((std::istreambuf_iterator<char>(in)), {});
  CompleteOptions o;
  o.model = model_path("stories260K-gguf/stories260K.gguf");
  o.max_tokens = 200;
  o.threads = 2;
  o.ignore_eos = true;
  std::ostringstream out, err;
  CHECK(cli_complete(o, out, err) == 0);
  CHECK(out.str() == expected);
  // A stop string cuts the text before it.
  o.stop = {"Lily."};
  o.max_tokens = 60;
  std::ostringstream out2;
  CHECK(cli_complete(o, out2, err) == 0);
  CHECK(out2.str() == "Once upon a time, there was a little girl named ");
  // Sampling with a seed is reproducible.
  o.stop.clear();
  o.temperature = 0.9f;
  o.top_p = 0.9f;
  o.seed = 42;
  std::ostringstream s1, s2;
  cli_complete(o, s1, err);
  cli_complete(o, s2, err);
  CHECK(s1.str() == s2.str());
  CHECK(s1.str() != expected.substr(0, s1.str().size()));
}

TEST_CASE("cli_complete errors") {
  CompleteOptions o;
  std::ostringstream out, err;
  CHECK(cli_complete(o, out, err) == 2);
  CHECK(err.str() == "error: --model is required\n");
  o.model = "/nonexistent/model.gguf";
  std::ostringstream err2;
  CHECK(cli_complete(o, out, err2) == 1);
  CHECK(err2.str() == "error: /nonexistent/model.gguf: no such file or folder\n");
  o.model = "random:stories260K";
  o.max_tokens = 5;
  std::ostringstream out3, err3;
  CHECK(cli_complete(o, out3, err3) == 0);
  CHECK(err3.str().empty());
}

TEST_CASE("cli_tokenize encodes and decodes; works on a vocabulary-only GGUF" * doctest::test_suite("model")) {
  if (!have_model("tokenizers/gguf-vocab/ggml-vocab-llama-spm.gguf")) return;
  TokenizeOptions o;
  o.model = model_path("tokenizers/gguf-vocab/ggml-vocab-llama-spm.gguf");
  o.text = "Hello world";
  std::ostringstream out, err;
  CHECK(cli_tokenize(o, out, err) == 0);
  CHECK(out.str() == "1 15043 3186\n");
  o.decode = "1 15043 3186";
  std::ostringstream out2;
  CHECK(cli_tokenize(o, out2, err) == 0);
  CHECK(out2.str() == "Hello world\n");
  o.decode = "1 x";
  std::ostringstream out3, err3;
  CHECK(cli_tokenize(o, out3, err3) == 2);
  CHECK(err3.str() == "error: --decode expects integers, got 'x'\n");
}

TEST_CASE("cli_bench prints JSON with throughput and memory") {
  BenchOptions o;
  o.model = "random:stories260K";
  o.prompt = 16;
  o.gen = 4;
  o.reps = 1;
  o.threads = 1;
  std::ostringstream out, err;
  REQUIRE(cli_bench(o, out, err) == 0);
  auto j = nlohmann::json::parse(out.str());
  CHECK(j["prefill_tok_s"].get<double>() > 0);
  CHECK(j["decode_tok_s"].get<double>() > 0);
  CHECK(j["peak_rss_mib"].get<double>() > 0);
  CHECK(j["threads"] == 1);
}

TEST_CASE("cli_model_random writes a GGUF that loads and runs") {
  auto d = std::filesystem::temp_directory_path() / ("sgl_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  ModelRandomOptions o;
  o.like = "stories260K";
  o.dtype = "q8_0";
  o.output = (d / "r.gguf").string();
  std::ostringstream out, err;
  // stories260K's hidden size 172 is not a multiple of 32.
  CHECK(cli_model_random(o, out, err) == 2);
  o.like = "stories15M";
  std::ostringstream out2, err2;
  CHECK(cli_model_random(o, out2, err2) == 0);
  CompleteOptions c;
  c.model = o.output;
  c.max_tokens = 3;
  std::ostringstream out3, err3;
  CHECK(cli_complete(c, out3, err3) == 0);
  CHECK(err3.str().empty());
  o.dtype = "q5_k";
  std::ostringstream err4;
  CHECK(cli_model_random(o, out2, err4) == 2);
  CHECK(err4.str() == "error: unknown --dtype 'q5_k' (f32, f16, bf16, q8_0, q4_0)\n");
  std::filesystem::remove_all(d);
}
