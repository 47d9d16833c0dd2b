// Token byte strings from tokenizer files (see vocab_bytes.h). Byte-level BPE stores each byte
// as a printable code point (GPT-2's bytes_to_unicode); we invert that map. Sentencepiece marks
// spaces with U+2581 and stores unencodable bytes as <0xNN> pieces.
#include "vocab_bytes.h"

#include <sentencepiece_processor.h>

#include <nlohmann/json.hpp>

#include <array>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace sgl::constraint {

namespace {

const std::set<std::string> kEosNames = {"</s>", "<|end_of_text|>", "<|eot_id|>",
                                         "<|endoftext|>", "<|im_end|>", "<|eom_id|>"};

// GPT-2 bytes_to_unicode, inverted: code point -> byte (-1 if not a byte code point).
std::array<int, 512> unicode_to_byte() {
  std::array<int, 512> inv;
  inv.fill(-1);
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    if (printable) inv[b] = b;
    else inv[256 + n++] = b;
  }
  return inv;
}

bool decode_byte_level(const std::string& s, const std::array<int, 512>& inv, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    if (c < 0x80) { cp = c; i += 1; }
    else if ((c & 0xE0) == 0xC0 && i + 1 < s.size()) {
      cp = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
      i += 2;
    } else {
      return false;  // byte-level code points are all below U+0200
    }
    if (cp >= 512 || inv[cp] < 0) return false;
    *out += static_cast<char>(inv[cp]);
  }
  return true;
}

}  // namespace

Vocabulary load_tokenizer_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  nlohmann::json j = nlohmann::json::parse(in);
  const auto& model = j.at("model");
  if (model.value("type", "") != "BPE") throw std::runtime_error(path + ": not a BPE tokenizer");
  const auto& vocab = model.at("vocab");
  size_t n = 0;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) n = std::max(n, it.value().get<size_t>() + 1);
  if (j.contains("added_tokens"))
    for (const auto& t : j["added_tokens"]) n = std::max(n, t.at("id").get<size_t>() + 1);
  Vocabulary v;
  v.tokens.assign(n, {});
  v.special.assign(n, 1);  // ids with no entry stay special (never allowed)
  auto inv = unicode_to_byte();
  std::string bytes;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    size_t id = it.value().get<size_t>();
    if (decode_byte_level(it.key(), inv, &bytes)) {
      v.tokens[id] = bytes;
      v.special[id] = 0;
    } else {
      v.tokens[id] = it.key();
    }
  }
  if (j.contains("added_tokens")) {
    for (const auto& t : j["added_tokens"]) {
      size_t id = t.at("id").get<size_t>();
      std::string content = t.at("content").get<std::string>();
      v.tokens[id] = content;
      v.special[id] = t.value("special", true) ? 1 : 0;
      if (kEosNames.count(content)) v.eos_ids.push_back(static_cast<int32_t>(id));
    }
  }
  return v;
}

Vocabulary load_sentencepiece_model(const std::string& path) {
  sentencepiece::SentencePieceProcessor sp;
  auto status = sp.Load(path);
  if (!status.ok()) throw std::runtime_error(path + ": " + status.ToString());
  Vocabulary v;
  int n = sp.GetPieceSize();
  v.tokens.resize(n);
  v.special.assign(n, 0);
  for (int i = 0; i < n; ++i) {
    std::string piece = sp.IdToPiece(i);
    if (sp.IsByte(i)) {
      // "<0xNN>"
      v.tokens[i] = std::string(1, static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16)));
    } else if (sp.IsControl(i) || sp.IsUnknown(i)) {
      v.tokens[i] = piece;
      v.special[i] = 1;
    } else {
      std::string out;
      for (size_t p = 0; p < piece.size();) {
        if (piece.compare(p, 3, "\xE2\x96\x81") == 0) {
          out += ' ';
          p += 3;
        } else {
          out += piece[p++];
        }
      }
      v.tokens[i] = out;
    }
  }
  if (sp.eos_id() >= 0) v.eos_ids.push_back(sp.eos_id());
  return v;
}

Vocabulary load_vocabulary(const std::string& path) {
  if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0)
    return load_tokenizer_json(path);
  return load_sentencepiece_model(path);
}

}  // namespace sgl::constraint
