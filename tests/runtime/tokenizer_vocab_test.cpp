// vocabulary_from_tokenizer against the constraint library's own independent readers of the same
// tokenizer files: the byte string of every ordinary token must agree, and special tokens must be
// flagged, so masks built from any model format allow exactly the same tokens.
#include <doctest/doctest.h>

#include "constraint/vocab_bytes.h"
#include "test_models.h"
#include "tokenizer_vocab.h"

namespace {

void check_same(const sgl::constraint::Vocabulary& ours, const sgl::constraint::Vocabulary& ref) {
  REQUIRE(ours.size() == ref.size());
  size_t compared = 0, mismatched = 0;
  for (size_t id = 0; id < ref.size(); ++id) {
    if (ref.special[id] || ours.special[id]) continue;
    ++compared;
    if (ours.tokens[id] != ref.tokens[id]) {
      if (++mismatched <= 5) MESSAGE("token " << id << ": '" << ours.tokens[id] << "' vs '" << ref.tokens[id] << "'");
    }
  }
  CHECK(mismatched == 0);
  CHECK(compared > ref.size() * 9 / 10);  // nearly every token is ordinary
  CHECK(!ours.eos_ids.empty());
}

}  // namespace

TEST_CASE("Llama 3 tokenizer.json: runtime tokenizer and constraint reader agree" * doctest::test_suite("model")) {
  if (!sgl::test::have_model("tokenizers/llama3-tokenizer-json/tokenizer.json")) return;
  std::string path = sgl::test::model_path("tokenizers/llama3-tokenizer-json/tokenizer.json");
  auto ours = sgl::load_model_vocabulary(path);
  check_same(ours, sgl::constraint::load_tokenizer_json(path));
  // " Hello" (22691) keeps its leading space: generated text continues a prompt.
  CHECK(ours.tokens[22691] == " Hello");
  CHECK(ours.special[128009] == 1);  // <|eot_id|>
}

TEST_CASE("Llama 2 tokenizer.model: runtime tokenizer and constraint reader agree" * doctest::test_suite("model")) {
  if (!sgl::test::have_model("tokenizers/llama2-spm/tokenizer.model")) return;
  std::string path = sgl::test::model_path("tokenizers/llama2-spm/tokenizer.model");
  auto ours = sgl::load_model_vocabulary(path);
  check_same(ours, sgl::constraint::load_sentencepiece_model(path));
  CHECK(ours.special[1] == 1);  // <s>
  CHECK(ours.tokens[13] == "\n");  // <0x0A> byte-fallback
}

TEST_CASE("stories260K: the three formats give one vocabulary" * doctest::test_suite("model")) {
  if (!sgl::test::have_model("stories260K/stories260K.bin")) return;
  auto bin = sgl::load_model_vocabulary(sgl::test::model_path("stories260K/stories260K.bin"));
  for (const char* other : {"stories260K-hf", "stories260K-gguf/stories260K.gguf"}) {
    if (!sgl::test::have_model(other)) continue;
    auto v = sgl::load_model_vocabulary(sgl::test::model_path(other));
    check_same(v, bin);
  }
}
