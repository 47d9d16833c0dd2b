// BPE encoding: split added/special tokens, pre-tokenize, merge adjacent symbols by lowest merge
// rank (leftmost first, as Hugging Face tokenizers does), map to ids.
#include "bpe_tokenizer.h"

#include <re2/re2.h>

#include <algorithm>
#include <climits>
#include <functional>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "gguf.h"
#include "mapped_file.h"

namespace sgl {

void apply_hf_folder_configs(Tokenizer& tok, const std::string& file,
                             const std::function<int32_t(const std::string&)>& id_of, bool* add_bos);

namespace {

const char* kWsChars = "\\t\\n\\x0B\\f\\r \\x{85}\\p{Z}";

const char* kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* kQwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* kGpt2Regex = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

size_t utf8_len(unsigned char c) {
  return c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
}

std::string cp_to_utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) s += (char)cp;
  else if (cp < 0x800) { s += (char)(0xC0 | (cp >> 6)); s += (char)(0x80 | (cp & 0x3F)); }
  else if (cp < 0x10000) { s += (char)(0xE0 | (cp >> 12)); s += (char)(0x80 | ((cp >> 6) & 0x3F)); s += (char)(0x80 | (cp & 0x3F)); }
  else { s += (char)(0xF0 | (cp >> 18)); s += (char)(0x80 | ((cp >> 12) & 0x3F)); s += (char)(0x80 | ((cp >> 6) & 0x3F)); s += (char)(0x80 | (cp & 0x3F)); }
  return s;
}

// GPT-2's reversible byte -> printable code point mapping.
struct ByteMap {
  std::string enc[256];
  std::unordered_map<std::string, uint8_t> dec;
  ByteMap() {
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      bool keep = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      enc[b] = cp_to_utf8(keep ? (uint32_t)b : (uint32_t)(256 + n++));
      dec[enc[b]] = (uint8_t)b;
    }
  }
};
const ByteMap& byte_map() {
  static const ByteMap m;
  return m;
}

const std::string kSpace = "\xe2\x96\x81";

}  // namespace

std::string hf_regex_to_re2(const std::string& pat, bool* lookahead) {
  std::string p = pat;
  *lookahead = false;
  const std::string la = "\\s+(?!\\S)|";
  for (size_t k; (k = p.find(la)) != std::string::npos;) {
    p.erase(k, la.size());
    *lookahead = true;
  }
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char n = p[i + 1];
      if (n == 's') out += in_class ? std::string(kWsChars) : "[" + std::string(kWsChars) + "]";
      else if (n == 'S' && !in_class) out += "[^" + std::string(kWsChars) + "]";
      else { out += c; out += n; }
      ++i;
      continue;
    }
    if (c == '[' && !in_class) in_class = true;
    else if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

struct PreTokenizer::Impl {
  std::unique_ptr<RE2> re, ws_only;
  bool lookahead = false;
};

PreTokenizer::PreTokenizer(const std::string& hf_pattern) : impl_(std::make_shared<Impl>()) {
  std::string p = hf_regex_to_re2(hf_pattern, &impl_->lookahead);
  RE2::Options o;
  o.set_log_errors(false);
  impl_->re = std::make_unique<RE2>("(" + p + ")", o);
  if (!impl_->re->ok()) throw std::runtime_error("pre-tokenizer regex not supported by RE2: " + impl_->re->error());
  impl_->ws_only = std::make_unique<RE2>("[" + std::string(kWsChars) + "]+", o);
}

std::vector<std::string> PreTokenizer::split(std::string_view text) const {
  std::vector<std::string> out;
  size_t pos = 0;
  re2::StringPiece in(text.data(), text.size()), m;
  while (pos < text.size()) {
    if (!impl_->re->Match(in, pos, text.size(), RE2::UNANCHORED, &m, 1) || m.empty()) {
      out.emplace_back(text.substr(pos));
      break;
    }
    size_t b = (size_t)(m.data() - text.data()), e = b + m.size();
    if (b > pos) out.emplace_back(text.substr(pos, b - pos));  // "Isolated": gaps are pieces too
    // `\s+(?!\S)`: a whitespace run followed by a non-space leaves its last character to the next
    // piece (so " Hello" keeps its space). A run ending in a newline came from `\s*[\r\n]+`.
    if (impl_->lookahead && e < text.size() && RE2::FullMatch(m, *impl_->ws_only)) {
      char last = text[e - 1];
      if (last != '\n' && last != '\r') {
        size_t lastc = e - 1;
        while (lastc > b && ((unsigned char)text[lastc] & 0xC0) == 0x80) --lastc;
        if (lastc > b) e = lastc;
      }
    }
    out.emplace_back(text.substr(b, e - b));
    pos = e;
  }
  return out;
}

namespace {

class BpeTokenizer : public Tokenizer {
 public:
  bool byte_level = true;
  bool ignore_merges = false;
  bool spm_prefix = false;  // SPM-style: prepend U+2581 to the text
  bool byte_fallback = false;
  int32_t unk = -1;
  std::vector<std::string> pieces;
  std::vector<uint8_t> special;  // control / added-special: decode to nothing
  std::vector<uint8_t> added;    // added tokens: content is literal text, not byte-mapped
  std::unordered_map<std::string, int32_t> vocab;
  std::unordered_map<std::string, int32_t> ranks;  // "a\0b" -> merge rank
  std::vector<std::pair<std::string, int32_t>> added_list;  // longest first
  std::unique_ptr<PreTokenizer> pre;

  void finish(const std::string& kind) {
    vocab_size_ = (int32_t)pieces.size();
    special.resize(pieces.size(), 0);
    added.resize(pieces.size(), 0);
    for (int32_t i = 0; i < vocab_size_; ++i)
      if (!pieces[i].empty()) vocab.emplace(pieces[i], i);
    std::sort(added_list.begin(), added_list.end(),
              [](auto& a, auto& b) { return a.first.size() > b.first.size(); });
    kind_ = kind;
  }

  void add_merge(const std::string& a, const std::string& b) {
    std::string k = a;
    k.push_back('\0');
    k += b;
    ranks.emplace(std::move(k), (int32_t)ranks.size());
  }

  int32_t rank(const std::string& a, const std::string& b) const {
    std::string k = a;
    k.push_back('\0');
    k += b;
    auto it = ranks.find(k);
    return it == ranks.end() ? INT_MAX : it->second;
  }

  void bpe_word(const std::string& w, std::vector<int32_t>& out) const {
    if (ignore_merges) {
      auto it = vocab.find(w);
      if (it != vocab.end()) {
        out.push_back(it->second);
        return;
      }
    }
    std::vector<std::string> sym;
    for (size_t i = 0; i < w.size();) {
      size_t n = std::min(utf8_len((unsigned char)w[i]), w.size() - i);
      sym.push_back(w.substr(i, n));
      i += n;
    }
    while (sym.size() > 1) {
      int32_t best = INT_MAX;
      size_t bi = 0;
      for (size_t i = 0; i + 1 < sym.size(); ++i) {
        int32_t r = rank(sym[i], sym[i + 1]);
        if (r < best) { best = r; bi = i; }
      }
      if (best == INT_MAX) break;
      sym[bi] += sym[bi + 1];
      sym.erase(sym.begin() + (long)bi + 1);
    }
    for (auto& s : sym) {
      auto it = vocab.find(s);
      if (it != vocab.end()) { out.push_back(it->second); continue; }
      if (byte_fallback) {
        for (unsigned char c : s) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "<0x%02X>", c);
          auto bt = vocab.find(buf);
          out.push_back(bt != vocab.end() ? bt->second : unk);
        }
      } else if (unk >= 0) {
        out.push_back(unk);
      }
    }
  }

  void encode_fragment(std::string_view f, bool at_start, std::vector<int32_t>& out) const {
    if (byte_level) {
      const ByteMap& bm = byte_map();
      for (auto& w : pre ? pre->split(f) : std::vector<std::string>{std::string(f)}) {
        std::string mapped;
        for (unsigned char c : w) mapped += bm.enc[c];
        bpe_word(mapped, out);
      }
    } else {
      std::string s = at_start && spm_prefix ? kSpace : "";
      for (char c : f) {
        if (c == ' ') s += kSpace;
        else s += c;
      }
      bpe_word(s, out);
    }
  }

  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const override {
    std::vector<int32_t> out;
    if (add_bos && add_bos_ && bos_id_ >= 0) out.push_back(bos_id_);
    size_t start = 0, i = 0;
    bool first = true;
    while (i < text.size() && parse_special) {
      const std::pair<std::string, int32_t>* hit = nullptr;
      for (auto& a : added_list)
        if (text.compare(i, a.first.size(), a.first) == 0) { hit = &a; break; }
      if (!hit) { ++i; continue; }
      if (i > start) encode_fragment(text.substr(start, i - start), first, out);
      first = false;
      out.push_back(hit->second);
      i += hit->first.size();
      start = i;
    }
    if (start < text.size()) encode_fragment(text.substr(start), first, out);
    return out;
  }

  std::string token_bytes(int32_t id, int32_t prev) const override {
    if (id < 0 || id >= vocab_size_ || special[id]) return "";
    const std::string& p = pieces[id];
    if (added[id]) return p;
    if (byte_level) {
      const ByteMap& bm = byte_map();
      std::string r;
      for (size_t i = 0; i < p.size();) {
        size_t n = std::min(utf8_len((unsigned char)p[i]), p.size() - i);
        auto it = bm.dec.find(p.substr(i, n));
        if (it != bm.dec.end()) r += (char)it->second;
        else r += p.substr(i, n);
        i += n;
      }
      return r;
    }
    if (p.size() == 6 && p.compare(0, 3, "<0x") == 0 && p[5] == '>')
      return std::string(1, (char)std::stoi(p.substr(3, 2), nullptr, 16));
    std::string r;
    for (size_t i = 0; i < p.size();) {
      if (p.compare(i, 3, kSpace) == 0) { r += ' '; i += 3; }
      else r += p[i++];
    }
    if ((prev < 0 || prev == bos_id_) && spm_prefix && !r.empty() && r[0] == ' ') r.erase(0, 1);
    return r;
  }

  std::string piece(int32_t id) const override { return id >= 0 && id < vocab_size_ ? pieces[id] : ""; }

  void set_ids(int32_t bos, int32_t eos, bool add_bos) {
    bos_id_ = bos;
    eos_id_ = eos;
    add_bos_ = add_bos;
    stop_ids_.clear();
    if (eos >= 0) stop_ids_.push_back(eos);
  }
  int32_t id_of(const std::string& s) const {
    auto it = vocab.find(s);
    return it == vocab.end() ? -1 : it->second;
  }
};

std::string pre_regex_for(const std::string& pre) {
  if (pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3" || pre == "smaug-bpe") return kLlama3Regex;
  if (pre == "qwen2") return kQwen2Regex;
  return kGpt2Regex;
}

}  // namespace

std::unique_ptr<Tokenizer> make_gguf_bpe_tokenizer(const GgufFile& g) {
  auto t = std::make_unique<BpeTokenizer>();
  auto* toks = g.get("tokenizer.ggml.tokens");
  if (!toks || !std::holds_alternative<std::vector<std::string>>(*toks))
    throw_model_error(g.path(), "missing tokenizer.ggml.tokens");
  t->pieces = std::get<std::vector<std::string>>(*toks);
  t->special.assign(t->pieces.size(), 0);
  t->added.assign(t->pieces.size(), 0);
  if (auto* ty = g.get("tokenizer.ggml.token_type"); ty && std::holds_alternative<std::vector<int64_t>>(*ty)) {
    auto& v = std::get<std::vector<int64_t>>(*ty);
    for (size_t i = 0; i < v.size() && i < t->pieces.size(); ++i) {
      if (v[i] == 3) { t->special[i] = 1; t->added[i] = 1; t->added_list.push_back({t->pieces[i], (int32_t)i}); }
      if (v[i] == 4) { t->added[i] = 1; t->added_list.push_back({t->pieces[i], (int32_t)i}); }
    }
  }
  auto* merges = g.get("tokenizer.ggml.merges");
  if (!merges || !std::holds_alternative<std::vector<std::string>>(*merges))
    throw_model_error(g.path(), "missing tokenizer.ggml.merges for a BPE vocabulary");
  for (auto& mstr : std::get<std::vector<std::string>>(*merges)) {
    size_t sp = mstr.find(' ', 1);
    if (sp == std::string::npos) continue;
    t->add_merge(mstr.substr(0, sp), mstr.substr(sp + 1));
  }
  std::string pre = g.get_string("tokenizer.ggml.pre", "default");
  t->ignore_merges = pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3";
  t->pre = std::make_unique<PreTokenizer>(pre_regex_for(pre));
  t->finish("gguf-bpe");
  t->set_ids((int32_t)g.get_int("tokenizer.ggml.bos_token_id", -1), (int32_t)g.get_int("tokenizer.ggml.eos_token_id", -1),
             g.get_bool("tokenizer.ggml.add_bos_token", false));
  std::vector<int32_t> stops = t->stop_ids();
  int64_t eot = g.get_int("tokenizer.ggml.eot_token_id", -1);
  if (eot >= 0) stops.push_back((int32_t)eot);
  t->set_stop_ids(stops);
  return t;
}

std::unique_ptr<Tokenizer> make_hf_json_tokenizer(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw_model_error(path, std::string("invalid JSON: ") + e.what());
  }
  auto& model = j["model"];
  std::string type = model.value("type", "");
  if (type != "BPE") throw_model_error(path, "unsupported tokenizer model type '" + type + "' (supported: BPE)");
  auto t = std::make_unique<BpeTokenizer>();
  int32_t max_id = -1;
  for (auto& [k, v] : model["vocab"].items()) max_id = std::max(max_id, v.get<int32_t>());
  if (j.contains("added_tokens"))
    for (auto& a : j["added_tokens"]) max_id = std::max(max_id, a["id"].get<int32_t>());
  t->pieces.assign((size_t)max_id + 1, "");
  t->special.assign(t->pieces.size(), 0);
  t->added.assign(t->pieces.size(), 0);
  for (auto& [k, v] : model["vocab"].items()) t->pieces[v.get<int32_t>()] = k;
  if (j.contains("added_tokens"))
    for (auto& a : j["added_tokens"]) {
      int32_t id = a["id"];
      std::string content = a["content"];
      t->pieces[id] = content;
      t->added[id] = 1;
      if (a.value("special", false)) t->special[id] = 1;
      t->added_list.push_back({content, id});
    }
  for (auto& mg : model["merges"]) {
    if (mg.is_string()) {
      std::string s = mg;
      size_t sp = s.find(' ', 1);
      if (sp != std::string::npos) t->add_merge(s.substr(0, sp), s.substr(sp + 1));
    } else if (mg.is_array() && mg.size() == 2) {
      t->add_merge(mg[0].get<std::string>(), mg[1].get<std::string>());
    }
  }
  t->ignore_merges = model.value("ignore_merges", false);
  t->byte_fallback = model.value("byte_fallback", false);
  // Byte-level if any pre-tokenizer or decoder says ByteLevel; otherwise SentencePiece-style.
  std::string dump = j["pre_tokenizer"].dump() + j["decoder"].dump();
  t->byte_level = dump.find("ByteLevel") != std::string::npos;
  if (t->byte_level) {
    std::string regex;
    std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& n) {
      if (n.is_object()) {
        if (n.value("type", "") == "Split" && n.contains("pattern") && n["pattern"].contains("Regex") && regex.empty())
          regex = n["pattern"]["Regex"];
        if (n.value("type", "") == "ByteLevel" && n.value("use_regex", false) && regex.empty()) regex = kGpt2Regex;
        for (auto& [k, v] : n.items()) walk(v);
      } else if (n.is_array()) {
        for (auto& v : n) walk(v);
      }
    };
    walk(j["pre_tokenizer"]);
    if (!regex.empty()) {
      try {
        t->pre = std::make_unique<PreTokenizer>(regex);
      } catch (const std::exception& e) {
        throw_model_error(path, e.what());
      }
    }
  } else {
    t->spm_prefix = j["normalizer"].dump().find("Prepend") != std::string::npos;
  }
  if (model.contains("unk_token") && model["unk_token"].is_string()) {
    auto it = model["vocab"].find(model["unk_token"].get<std::string>());
    if (it != model["vocab"].end()) t->unk = it->get<int32_t>();
  }
  t->finish(t->byte_level ? "hf-bpe" : "hf-spm-bpe");
  // BOS/EOS: tokenizer_config.json names them; fall back to common spellings.
  int32_t bos = -1, eos = -1;
  bool add_bos = !t->byte_level;
  std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
  std::string tc = (dir.empty() ? "." : dir) + "/tokenizer_config.json";
  if (file_exists(tc)) {
    try {
      auto c = nlohmann::json::parse(read_text_file(tc));
      auto name = [](const nlohmann::json& v) -> std::string {
        if (v.is_string()) return v;
        if (v.is_object() && v.contains("content")) return v["content"];
        return "";
      };
      if (c.contains("bos_token")) bos = t->id_of(name(c["bos_token"]));
      if (c.contains("eos_token")) eos = t->id_of(name(c["eos_token"]));
      if (c.contains("add_bos_token") && c["add_bos_token"].is_boolean()) add_bos = c["add_bos_token"];
      else if (t->byte_level && bos >= 0) add_bos = true;  // Llama 3 adds <|begin_of_text|> via its post-processor
    } catch (const nlohmann::json::exception& e) {
      throw_model_error(tc, std::string("invalid JSON: ") + e.what());
    }
  }
  if (bos < 0) bos = t->id_of("<s>") >= 0 ? t->id_of("<s>") : t->id_of("<|begin_of_text|>");
  if (eos < 0) eos = t->id_of("</s>") >= 0 ? t->id_of("</s>") : t->id_of("<|end_of_text|>");
  t->set_ids(bos, eos, add_bos);
  bool ab = add_bos;
  BpeTokenizer* raw = t.get();
  apply_hf_folder_configs(*t, path, [raw](const std::string& s) { return raw->id_of(s); }, &ab);
  int32_t eot = t->id_of("<|eot_id|>");
  if (eot >= 0) {
    auto s = t->stop_ids();
    if (std::find(s.begin(), s.end(), eot) == s.end()) s.push_back(eot);
    t->set_stop_ids(s);
  }
  return t;
}

}  // namespace sgl
