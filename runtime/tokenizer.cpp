// Tokenizer loading (which implementation for which file) and streaming detokenisation.
#include "tokenizer.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>

#include "bpe_tokenizer.h"
#include "gguf.h"
#include "mapped_file.h"
#include "spm_tokenizer.h"

namespace sgl {

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
  std::string out;
  int32_t prev = -1;
  for (int32_t id : ids) {
    out += token_bytes(id, prev);
    prev = id;
  }
  return out;
}

bool Tokenizer::is_stop(int32_t id) const {
  return std::find(stop_ids_.begin(), stop_ids_.end(), id) != stop_ids_.end();
}

size_t utf8_complete_prefix(std::string_view s) {
  size_t n = s.size();
  // Look back at most 3 bytes for the lead byte of a possibly unfinished character.
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    unsigned char c = (unsigned char)s[n - back];
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    size_t need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return back < need ? n - back : n;
  }
  return n;
}

std::string StreamDecoder::push(int32_t id) {
  pending_ += tok_.token_bytes(id, prev_);
  prev_ = id;
  size_t k = utf8_complete_prefix(pending_);
  std::string out = pending_.substr(0, k);
  pending_.erase(0, k);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

namespace {

bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

std::string dir_of(const std::string& p) {
  size_t k = p.find_last_of('/');
  return k == std::string::npos ? "." : p.substr(0, k);
}

std::string base_of(const std::string& p) {
  size_t k = p.find_last_of('/');
  return k == std::string::npos ? p : p.substr(k + 1);
}

// tokenizer_config.json and generation_config.json: BOS/EOS choice and extra stop tokens.
void apply_hf_configs(Tokenizer& tok, const std::string& dir, const std::function<int32_t(const std::string&)>& id_of,
                      bool* add_bos) {
  std::vector<int32_t> stops = tok.stop_ids();
  std::string tc = dir + "/tokenizer_config.json";
  if (file_exists(tc)) {
    try {
      auto j = nlohmann::json::parse(read_text_file(tc));
      if (j.contains("add_bos_token") && j["add_bos_token"].is_boolean()) *add_bos = j["add_bos_token"];
      if (j.contains("chat_template") && j["chat_template"].is_string()) tok.set_chat_template(j["chat_template"]);
      auto tokstr = [](const nlohmann::json& v) -> std::string {
        if (v.is_string()) return v;
        if (v.is_object() && v.contains("content")) return v["content"];
        return "";
      };
      if (j.contains("eos_token")) {
        int32_t e = id_of(tokstr(j["eos_token"]));
        if (e >= 0) stops.push_back(e);
      }
    } catch (const nlohmann::json::exception& e) {
      throw_model_error(tc, std::string("invalid JSON: ") + e.what());
    }
  }
  std::string gc = dir + "/generation_config.json";
  if (file_exists(gc)) {
    try {
      auto j = nlohmann::json::parse(read_text_file(gc));
      if (j.contains("eos_token_id")) {
        auto& e = j["eos_token_id"];
        if (e.is_number_integer()) stops.push_back(e);
        if (e.is_array())
          for (auto& x : e) stops.push_back(x);
      }
    } catch (const nlohmann::json::exception& e) {
      throw_model_error(gc, std::string("invalid JSON: ") + e.what());
    }
  }
  std::sort(stops.begin(), stops.end());
  stops.erase(std::unique(stops.begin(), stops.end()), stops.end());
  tok.set_stop_ids(stops);
}

std::unique_ptr<Tokenizer> load_from_gguf(const std::string& path) {
  GgufFile g(path);
  std::string model = g.get_string("tokenizer.ggml.model");
  if (model == "llama") return make_gguf_spm_tokenizer(g);
  if (model == "gpt2") return make_gguf_bpe_tokenizer(g);
  if (model.empty()) throw_model_error(path, "no tokenizer in this GGUF file (tokenizer.ggml.model missing)");
  throw_model_error(path, "unsupported tokenizer model '" + model + "' (supported: llama, gpt2)");
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_model_error(path, "no such file or folder");
  if (S_ISDIR(st.st_mode)) {
    std::unique_ptr<Tokenizer> tok;
    if (file_exists(path + "/tokenizer.model")) tok = make_sentencepiece_tokenizer(path + "/tokenizer.model");
    else if (file_exists(path + "/tokenizer.json")) tok = make_hf_json_tokenizer(path + "/tokenizer.json");
    else throw_model_error(path, "no tokenizer.model or tokenizer.json in the folder");
    return tok;
  }
  std::string base = base_of(path);
  if (base == "tokenizer.json" || ends_with(base, ".json")) return make_hf_json_tokenizer(path);
  if (ends_with(base, ".model")) return make_sentencepiece_tokenizer(path);
  {
    MappedFile f(path);
    if (f.size() >= 4 && std::memcmp(f.data(), "GGUF", 4) == 0) return load_from_gguf(path);
  }
  // A llama2.c tokenizer file itself (tok512.bin, tokenizer.bin) rather than a checkpoint.
  if (base == "tokenizer.bin" || (base.size() > 7 && base.rfind("tok", 0) == 0 && std::isdigit((unsigned char)base[3]) &&
                                  ends_with(base, ".bin")))
    return make_llama2c_tokenizer(path, -1);
  // A llama2.c checkpoint: its header says the vocabulary size; the tokenizer sits beside it.
  MappedFile f(path);
  if (f.size() < 28) throw_model_error(path, "not a model or tokenizer file");
  int32_t h[7];
  std::memcpy(h, f.data(), 28);
  int32_t vocab = h[5] < 0 ? -h[5] : h[5];
  // A version-2 (int8) export starts with the magic "ak42" and a version; its shapes follow.
  if (h[0] == 0x616b3432 && f.size() >= 36) {
    std::memcpy(h, f.data() + 8, 28);
    vocab = h[5];
  }
  std::string dir = dir_of(path);
  std::string cand = dir + "/tok" + std::to_string(vocab) + ".bin";
  if (!file_exists(cand)) cand = dir + "/tokenizer.bin";
  if (!file_exists(cand))
    throw_model_error(path, "no tokenizer beside the llama2.c checkpoint (looked for tok" + std::to_string(vocab) +
                                ".bin and tokenizer.bin)");
  return make_llama2c_tokenizer(cand, vocab);
}

// Exposed for the HF-specific factories in spm_tokenizer.cpp / bpe_tokenizer.cpp.
void apply_hf_folder_configs(Tokenizer& tok, const std::string& file,
                             const std::function<int32_t(const std::string&)>& id_of, bool* add_bos) {
  apply_hf_configs(tok, dir_of(file), id_of, add_bos);
}

}  // namespace sgl
