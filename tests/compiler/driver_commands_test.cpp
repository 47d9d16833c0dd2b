// The runtime subcommands of the sglc binary (complete, tokenize, bench, model random, grammar):
// their flags reach the library entry points, and their exit codes and messages are what a user
// sees. The entry points themselves are tested in tests/runtime and tests/runtime/constraint.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct Run {
  int status;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path tmp(const std::string& name) {
  return fs::temp_directory_path() / ("sglc_drv_" + std::to_string(getpid()) + "_" + name);
}

Run run(const std::string& args) {
  fs::path err = tmp("stderr.txt");
  std::string cmd = std::string(SGLC_PATH) + " " + args + " 2>" + err.string();
  FILE* p = popen(cmd.c_str(), "r");
  Run r{-1, "", ""};
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = slurp(err);
  fs::remove(err);
  return r;
}

fs::path models() {
  const char* env = std::getenv("SGL_MODELS_DIR");
  return env ? fs::path(env) : fs::path(SGL_MODELS_DIR);
}

bool have(const fs::path& p) {
  if (fs::exists(p)) return true;
  MESSAGE("skipped: " << p.string() << " is absent (tests need ../shared/models)");
  return false;
}

}  // namespace

TEST_CASE("complete: greedy stories260K from BOS matches llama2.c's known output" * doctest::test_suite("model")) {
  fs::path bin = models() / "stories260K" / "stories260K.bin";
  if (!have(bin)) return;
  std::string expected = slurp(models() / "stories260K" / "expected_greedy_200.txt");
  Run r = run("complete -m " + bin.string() + " --max-tokens 40");
  CHECK(r.status == 0);
  REQUIRE(r.out.size() > 40);
  CHECK(expected.rfind(r.out, 0) == 0);  // a prefix of the 200-token text
  // A prompt continues from its text, and --echo prints the prompt first.
  r = run("complete -m " + bin.string() + " -p 'Once upon a time' -n 5 --echo");
  CHECK(r.status == 0);
  CHECK(r.out.rfind("Once upon a time", 0) == 0);
  CHECK(expected.rfind(r.out, 0) == 0);
}

TEST_CASE("tokenize: a llama.cpp test vector through the command line, and --decode back") {
  fs::path gguf = models() / "tokenizers" / "gguf-vocab" / "ggml-vocab-llama-bpe.gguf";
  if (!have(gguf)) return;
  // The first case of llama.cpp's vectors: "ied 4 ½ months" -> " 1142 220 19 220 27154 4038".
  std::string inp = slurp(gguf.string() + ".inp");
  std::string out = slurp(gguf.string() + ".out");
  std::string text = inp.substr(0, inp.find("\n__ggml_vocab_test__"));
  std::string ids = out.substr(0, out.find('\n'));
  while (!ids.empty() && ids[0] == ' ') ids.erase(0, 1);
  fs::path tf = tmp("text.txt");
  std::ofstream(tf, std::ios::binary) << text;
  Run r = run("tokenize -m " + gguf.string() + " --no-bos \"$(cat " + tf.string() + ")\"");
  fs::remove(tf);
  CHECK(r.status == 0);
  CHECK(r.out == ids + "\n");
  r = run("tokenize -m " + gguf.string() + " --decode '" + ids + "'");
  CHECK(r.status == 0);
  CHECK(r.out.rfind(text, 0) == 0);
}

TEST_CASE("model random writes a GGUF that bench and complete load") {
  fs::path f = tmp("random.gguf");
  Run r = run("model random --like stories260K --dtype q8_0 -o " + f.string());
  CHECK(r.status == 2);  // its ffn width, 172, does not split into 32-element blocks
  CHECK(r.err == "error: stories260K: dimensions are not multiples of 32, cannot use q8_0\n");
  r = run("model random --like stories260K --dtype bf16 -o " + f.string());
  CHECK(r.status == 0);
  CHECK(r.out.find("random weights like stories260K, bf16, gguf") != std::string::npos);
  REQUIRE(fs::exists(f));
  r = run("bench -m " + f.string() + " -p 8 -n 8 -t 1 -r 1");
  CHECK(r.status == 0);
  CHECK(r.out.find("\"prefill_tok_s\":") != std::string::npos);
  CHECK(r.out.find("\"dtype\":\"bf16\"") != std::string::npos);
  r = run("complete -m " + f.string() + " -n 4");
  CHECK(r.status == 0);
  fs::remove(f);
}

TEST_CASE("grammar: --check exit codes, invalid constraints, and usage errors") {
  fs::path good = tmp("good.txt"), bad = tmp("bad.txt");
  std::ofstream(good) << "2024-03-01";
  std::ofstream(bad) << "March 1st";
  const std::string re = "--regex '[0-9]{4}-[0-9]{2}-[0-9]{2}'";
  CHECK(run("grammar " + re + " --check " + good.string()).status == 0);
  CHECK(run("grammar " + re + " --check " + bad.string()).status == 1);
  Run r = run("grammar --regex '(unclosed'");
  CHECK(r.status == 2);
  CHECK(r.err.find("missing )") != std::string::npos);
  r = run("grammar");
  CHECK(r.status == 2);
  CHECK(r.err.find("--regex or --json-schema is required") != std::string::npos);
  r = run("grammar --regex a --json-schema s.json");
  CHECK(r.status == 2);
  CHECK(r.err.find("excludes") != std::string::npos);
  r = run("grammar " + re + " --stats");
  CHECK(r.status == 0);
  CHECK(r.out.find("\"states\":") != std::string::npos);
  fs::remove(good);
  fs::remove(bad);
}

TEST_CASE("grammar --model takes every model format (here GGUF and llama2.c)" * doctest::test_suite("model")) {
  fs::path gguf = models() / "stories260K-gguf" / "stories260K.gguf";
  fs::path bin = models() / "stories260K" / "stories260K.bin";
  if (!have(gguf) || !have(bin)) return;
  for (const fs::path& m : {gguf, bin}) {
    Run r = run("grammar --regex '[0-9]+ apples' --stats --model " + m.string());
    CHECK(r.status == 0);
    CHECK(r.out.find("\"vocab_size\":512") != std::string::npos);
  }
  Run r = run("grammar --regex x --stats --model /nonexistent.gguf");
  CHECK(r.status == 2);
  CHECK(r.err.rfind("sglc grammar: error: cannot load vocabulary from /nonexistent.gguf: ", 0) == 0);
}

TEST_CASE("--device: cpu always works; cuda either runs on a GPU or says why not") {
  Run r = run("bench -m random:stories260K -p 4 -n 4 -r 1 -t 1 --device cpu");
  CHECK(r.status == 0);
  CHECK(r.out.find("\"device\":\"cpu\"") != std::string::npos);
  r = run("bench -m random:stories260K -p 4 -n 4 -r 1 --device cuda");
  if (r.status == 0) {
    CHECK(r.out.find("\"device\":\"cuda\"") != std::string::npos);
  } else {
    CHECK(r.status == 1);
    CHECK(r.err.rfind("error: --device cuda: ", 0) == 0);  // e.g. "no NVIDIA driver on this machine"
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  CHECK(run("complete -m random:stories260K --device tpu").status == 2);
}

TEST_CASE("engine commands: a missing model is a one-line error, bad flags exit 2") {
  Run r = run("complete -m /nonexistent/model.gguf -n 4");
  CHECK(r.status == 1);
  CHECK(r.err.find("/nonexistent/model.gguf") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(run("complete").status == 2);                          // --model is required
  CHECK(run("complete -m x --top-p 2").status == 2);           // out of range
  CHECK(run("model random --dtype f8 -o x.gguf").status == 2); // not a dtype
  CHECK(run("model").status == 2);                             // needs 'random'
}
