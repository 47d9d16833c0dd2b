// Tokenizers: llama.cpp GGUF test vectors, cross-format agreement, round trips, streaming.
#include "tokenizer.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "bpe_tokenizer.h"
#include "test_models.h"

using namespace sgl;
using sgl::test::have_model;
using sgl::test::model_path;
using sgl::test::read_all;

namespace {

std::vector<std::string> split_on(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  size_t b = 0;
  for (size_t k; (k = s.find(sep, b)) != std::string::npos; b = k + sep.size()) out.push_back(s.substr(b, k - b));
  out.push_back(s.substr(b));
  return out;
}

std::string ids_str(const std::vector<int32_t>& ids) {
  std::string r;
  for (int32_t i : ids) r += " " + std::to_string(i);
  return r;
}

// llama.cpp's test-tokenizer-0 vectors: texts separated by __ggml_vocab_test__ lines, and one line
// of expected ids per text, encoded without BOS.
void check_vocab_vectors(const std::string& gguf) {
  auto tok = load_tokenizer(gguf);
  auto texts = split_on(read_all(gguf + ".inp"), "\n__ggml_vocab_test__\n");
  auto outs = split_on(read_all(gguf + ".out"), "\n");
  if (!texts.empty() && texts.back().empty()) texts.pop_back();
  REQUIRE(outs.size() >= texts.size());
  int failures = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    std::string got = ids_str(tok->encode(texts[i], false));
    std::string want = outs[i];
    if (got != want) {
      ++failures;
      MESSAGE("case " << i << " text [" << texts[i] << "] got" << got << " want" << want
                      << "  (reproduce: sglc tokenize --model " << gguf << " TEXT)");
    }
    // Round trip: decoding the expected ids gives the text back.
    std::vector<int32_t> ids;
    std::istringstream is(want);
    for (int32_t v; is >> v;) ids.push_back(v);
    CHECK(tok->decode(ids) == texts[i]);
  }
  CHECK(failures == 0);
}

}  // namespace

TEST_CASE("GGUF SPM vocabulary matches llama.cpp test vectors" * doctest::test_suite("model")) {
  if (!have_model("tokenizers/gguf-vocab/ggml-vocab-llama-spm.gguf")) return;
  check_vocab_vectors(model_path("tokenizers/gguf-vocab/ggml-vocab-llama-spm.gguf"));
}

TEST_CASE("GGUF BPE (Llama 3) vocabulary matches llama.cpp test vectors" * doctest::test_suite("model")) {
  if (!have_model("tokenizers/gguf-vocab/ggml-vocab-llama-bpe.gguf")) return;
  check_vocab_vectors(model_path("tokenizers/gguf-vocab/ggml-vocab-llama-bpe.gguf"));
}

TEST_CASE("stories260K tokenizers agree across tok512.bin, GGUF and tokenizer.model" * doctest::test_suite("model")) {
  if (!have_model("stories260K/tok512.bin") || !have_model("stories260K-hf/tokenizer.model")) return;
  auto a = load_tokenizer(model_path("stories260K/stories260K.bin"));
  auto b = load_tokenizer(model_path("stories260K-gguf/stories260K.gguf"));
  auto c = load_tokenizer(model_path("stories260K-hf"));
  auto d = load_tokenizer(model_path("stories260K-hf/tokenizer.json"));
  CHECK(a->kind() == "llama2c");
  CHECK(c->kind() == "sentencepiece");
  CHECK(d->kind() == "hf-spm-bpe");
  for (std::string text : {"Once upon a time, there was a little girl named Lily.", "Hello world", "x\ny\n",
                           "Zoë's café"}) {
    CAPTURE(text);
    auto ids = c->encode(text, true);
    CHECK(ids.front() == 1);
    CHECK(a->encode(text, true) == ids);
    CHECK(b->encode(text, true) == ids);
    CHECK(d->encode(text, true) == ids);
    CHECK(a->decode(ids) == text);
    CHECK(c->decode(ids) == text);
    CHECK(d->decode(ids) == text);
  }
}

TEST_CASE("Llama 3 tokenizer.json and Llama 2 tokenizer.model round trip" * doctest::test_suite("model")) {
  if (have_model("tokenizers/llama3-tokenizer-json/tokenizer.json")) {
    auto t = load_tokenizer(model_path("tokenizers/llama3-tokenizer-json/tokenizer.json"));
    CHECK(t->kind() == "hf-bpe");
    auto ids = t->encode("Hello world", true);
    CHECK(ids == std::vector<int32_t>{128000, 9906, 1917});
    CHECK(t->encode(" Hello World!", false) == std::vector<int32_t>{22691, 4435, 0});
    CHECK(t->encode("<|eot_id|>", false, true) == std::vector<int32_t>{128009});
    CHECK(t->is_stop(128009));
    CHECK(t->chat_template().find("<|start_header_id|>") != std::string::npos);
    std::string s = "    Hello\n\n  🦙 y'all! 1234567 Cửa Việt";
    CHECK(t->decode(t->encode(s, false)) == s);
  }
  if (have_model("tokenizers/llama2-spm/tokenizer.model")) {
    auto t = load_tokenizer(model_path("tokenizers/llama2-spm/tokenizer.model"));
    CHECK(t->encode("Hello world", true) == std::vector<int32_t>{1, 15043, 3186});
    std::string s = "  Hello\n 🦙 café";
    CHECK(t->decode(t->encode(s, false)) == s);
  }
}

TEST_CASE("pre-tokenizer emulates the \\s+(?!\\S) lookahead") {
  PreTokenizer p("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
  CHECK(p.split("   Hello") == std::vector<std::string>{"  ", " Hello"});
  CHECK(p.split("a  ") == std::vector<std::string>{"a", "  "});
  CHECK(p.split("x \n\n y") == std::vector<std::string>{"x", " \n\n", " y"});
  CHECK(p.split("12345") == std::vector<std::string>{"123", "45"});
}

TEST_CASE("stream decoder never splits a UTF-8 character") {
  if (!have_model("tokenizers/llama2-spm/tokenizer.model")) return;
  auto t = load_tokenizer(model_path("tokenizers/llama2-spm/tokenizer.model"));
  std::string s = "llama 🦙 ok";
  auto ids = t->encode(s, false);
  StreamDecoder d(*t);
  std::string all;
  for (int32_t id : ids) {
    std::string piece = d.push(id);
    CHECK(utf8_complete_prefix(piece) == piece.size());
    all += piece;
  }
  all += d.flush();
  CHECK(all == s);
}

TEST_CASE("utf8_complete_prefix") {
  CHECK(utf8_complete_prefix("ab") == 2);
  CHECK(utf8_complete_prefix("a\xf0\x9f") == 1);
  CHECK(utf8_complete_prefix("a\xf0\x9f\xa6\x99") == 5);
  CHECK(utf8_complete_prefix("\xc3") == 0);
}
