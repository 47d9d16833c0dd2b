// Tokenizer interface shared by every vocabulary kind (SentencePiece, score-merged SPM vocabularies
// from GGUF and llama2.c, byte-level and SPM-style BPE from tokenizer.json / GGUF), the loader that
// picks one for a model path, and the streaming detokeniser.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sgl {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // add_bos: prepend BOS if this tokenizer adds one by default (add_bos_token); parse_special:
  // text like "<|eot_id|>" becomes its special token instead of being spelled out.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special = false) const = 0;
  // The bytes token `id` adds to the output when it follows `prev` (-1 at the start of a text):
  // control tokens add nothing, and a SentencePiece word's leading space is dropped after BOS or
  // at the start.
  virtual std::string token_bytes(int32_t id, int32_t prev) const = 0;
  // The vocabulary string of a token as stored (for debugging and grammar masks).
  virtual std::string piece(int32_t id) const = 0;

  std::string decode(std::span<const int32_t> ids) const;
  int32_t vocab_size() const { return vocab_size_; }
  int32_t bos_id() const { return bos_id_; }
  int32_t eos_id() const { return eos_id_; }
  bool add_bos() const { return add_bos_; }
  // Tokens that end generation (EOS and e.g. Llama 3's <|eot_id|>).
  const std::vector<int32_t>& stop_ids() const { return stop_ids_; }
  bool is_stop(int32_t id) const;
  void set_stop_ids(std::vector<int32_t> ids) { stop_ids_ = std::move(ids); }
  const std::string& kind() const { return kind_; }
  // tokenizer_config.json's chat_template (Jinja text, for the chat helpers); empty if none.
  const std::string& chat_template() const { return chat_template_; }
  void set_chat_template(std::string t) { chat_template_ = std::move(t); }

 protected:
  int32_t vocab_size_ = 0, bos_id_ = -1, eos_id_ = -1;
  bool add_bos_ = true;
  std::vector<int32_t> stop_ids_;
  std::string kind_;
  std::string chat_template_;
};

// model_path: a llama2.c .bin (its tok*.bin beside it) or a tok*.bin itself, a GGUF file (model or
// vocabulary only), a Hugging Face folder, or a tokenizer.json / tokenizer.model file. Throws
// ModelError.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_path);

// Turns a stream of token ids into text pieces that never split a UTF-8 character: bytes of an
// incomplete character are held until the token that completes it arrives.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tok, int32_t prev = -1) : tok_(tok), prev_(prev) {}
  std::string push(int32_t id);
  std::string flush();  // whatever is held (invalid UTF-8 is passed through at the end)
  // True while bytes of an incomplete UTF-8 character are held back.
  bool holds_partial() const { return !pending_.empty(); }

 private:
  const Tokenizer& tok_;
  int32_t prev_;
  std::string pending_;
};

// Length of the longest prefix of s that does not end inside a UTF-8 character.
size_t utf8_complete_prefix(std::string_view s);

}  // namespace sgl
