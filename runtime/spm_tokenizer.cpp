// Score-merged SentencePiece vocabularies and the libsentencepiece wrapper. Both decode the same
// way: U+2581 is a space, <0xXX> pieces are raw bytes, control tokens print nothing.
#include "spm_tokenizer.h"

#include <sentencepiece_processor.h>

#include <cstring>
#include <functional>
#include <queue>
#include <unordered_map>

#include "gguf.h"
#include "mapped_file.h"

namespace sgl {

void apply_hf_folder_configs(Tokenizer& tok, const std::string& file,
                             const std::function<int32_t(const std::string&)>& id_of, bool* add_bos);

namespace {

enum TokType : uint8_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };
const std::string kSpace = "\xe2\x96\x81";  // U+2581, SentencePiece's visible space

int byte_piece_value(const std::string& p) {
  if (p.size() == 6 && p[0] == '<' && p[1] == '0' && p[2] == 'x' && p[5] == '>') {
    auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
    int h = hex(p[3]), l = hex(p[4]);
    if (h >= 0 && l >= 0) return h * 16 + l;
  }
  return -1;
}

class SpmVocab : public Tokenizer {
 public:
  SpmVocab(std::vector<std::string> pieces, std::vector<float> scores, std::vector<uint8_t> types, int32_t bos,
           int32_t eos, int32_t unk, bool add_space_prefix, bool add_bos, std::string kind)
      : pieces_(std::move(pieces)), scores_(std::move(scores)), types_(std::move(types)), unk_(unk),
        add_space_prefix_(add_space_prefix) {
    vocab_size_ = (int32_t)pieces_.size();
    bos_id_ = bos;
    eos_id_ = eos;
    add_bos_ = add_bos;
    kind_ = std::move(kind);
    if (eos >= 0) stop_ids_ = {eos};
    std::fill(std::begin(byte_ids_), std::end(byte_ids_), -1);
    scores_.resize(pieces_.size(), 0.0f);
    types_.resize(pieces_.size(), kNormal);
    for (int32_t i = 0; i < vocab_size_; ++i) {
      index_.emplace(pieces_[i], i);
      int b = byte_piece_value(pieces_[i]);
      if (b >= 0 && types_[i] != kControl) {
        types_[i] = kByte;
        if (byte_ids_[b] < 0) byte_ids_[b] = i;
      }
      if (types_[i] == kUserDefined) user_defined_.push_back(i);
      if (types_[i] == kControl || types_[i] == kUserDefined) special_ids_.push_back(i);
      text_.push_back(replace_spaces(pieces_[i]));
    }
  }

  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const override {
    std::vector<int32_t> out;
    if (add_bos && add_bos_ && bos_id_ >= 0) out.push_back(bos_id_);
    if (text.empty()) return out;
    // Split out special tokens when asked; each fragment is encoded on its own.
    std::vector<std::pair<std::string_view, int32_t>> frags;
    if (parse_special) split_special(text, frags);
    else frags.push_back({text, -1});
    bool first = true;
    for (auto& [f, id] : frags) {
      if (id >= 0) out.push_back(id);
      else encode_fragment(f, first && add_space_prefix_, out);
      first = false;
    }
    return out;
  }

  std::string token_bytes(int32_t id, int32_t prev) const override {
    if (id < 0 || id >= vocab_size_) return "";
    switch (types_[id]) {
      case kControl:
      case kUnused: return "";
      case kByte: return std::string(1, (char)byte_piece_value(pieces_[id]));
      default: break;
    }
    const std::string& t = text_[id];
    if ((prev < 0 || prev == bos_id_) && add_space_prefix_ && !t.empty() && t[0] == ' ') return t.substr(1);
    return t;
  }

  std::string piece(int32_t id) const override { return id >= 0 && id < vocab_size_ ? pieces_[id] : ""; }
  int32_t find(const std::string& p) const {
    auto it = index_.find(p);
    return it == index_.end() ? -1 : it->second;
  }

 protected:
  static std::string replace_spaces(const std::string& p) {
    std::string r;
    for (size_t i = 0; i < p.size();) {
      if (p.compare(i, 3, kSpace) == 0) { r += ' '; i += 3; }
      else r += p[i++];
    }
    return r;
  }


 public:
  void split_special(std::string_view text, std::vector<std::pair<std::string_view, int32_t>>& frags) const {
    size_t start = 0, i = 0;
    while (i < text.size()) {
      int32_t best = -1;
      size_t best_len = 0;
      // Only the control and user-defined pieces, in id order (a handful, not the whole vocabulary).
      for (int32_t id : special_ids_) {
        const std::string& p = pieces_[id];
        if (p.size() > best_len && text.compare(i, p.size(), p) == 0) { best = id; best_len = p.size(); }
      }
      if (best >= 0) {
        if (i > start) frags.push_back({text.substr(start, i - start), -1});
        frags.push_back({text.substr(i, best_len), best});
        i += best_len;
        start = i;
      } else {
        ++i;
      }
    }
    if (start < text.size()) frags.push_back({text.substr(start), -1});
  }

  // llama.cpp's llm_tokenizer_spm: start from UTF-8 characters, repeatedly merge the adjacent
  // pair whose concatenation is the highest-scoring piece (leftmost on ties), then map leftovers
  // to byte tokens.
  void encode_fragment(std::string_view frag, bool space_prefix, std::vector<int32_t>& out) const {
    std::string s;
    if (space_prefix) s = kSpace;
    for (char ch : frag) {
      if (ch == ' ') s += kSpace;
      else s += ch;
    }
    struct Sym { int prev, next; size_t off, n; };
    std::vector<Sym> sym;
    for (size_t i = 0; i < s.size();) {
      unsigned char c = (unsigned char)s[i];
      size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
      len = std::min(len, s.size() - i);
      sym.push_back({(int)sym.size() - 1, (int)sym.size() + 1, i, len});
      i += len;
    }
    if (sym.empty()) return;
    sym.back().next = -1;
    struct Bigram { int l, r; float score; size_t size; };
    auto cmp = [](const Bigram& a, const Bigram& b) { return a.score < b.score || (a.score == b.score && a.l > b.l); };
    std::priority_queue<Bigram, std::vector<Bigram>, decltype(cmp)> q(cmp);
    auto try_add = [&](int l, int r) {
      if (l < 0 || r < 0) return;
      std::string t = s.substr(sym[l].off, sym[l].n + sym[r].n);
      auto it = index_.find(t);
      if (it == index_.end()) return;
      q.push({l, r, scores_[it->second], t.size()});
    };
    for (size_t i = 1; i < sym.size(); ++i) try_add((int)i - 1, (int)i);
    while (!q.empty()) {
      Bigram b = q.top();
      q.pop();
      Sym &L = sym[b.l], &R = sym[b.r];
      if (L.n == 0 || R.n == 0 || L.n + R.n != b.size) continue;  // stale entry
      L.n += R.n;
      R.n = 0;
      L.next = R.next;
      if (R.next >= 0) sym[R.next].prev = b.l;
      try_add(L.prev, b.l);
      try_add(b.l, L.next);
    }
    for (int i = 0; i >= 0; i = sym[i].next) {
      std::string t = s.substr(sym[i].off, sym[i].n);
      auto it = index_.find(t);
      if (it != index_.end()) {
        out.push_back(it->second);
        continue;
      }
      for (unsigned char c : t) {
        int32_t id = byte_ids_[c];
        out.push_back(id >= 0 ? id : unk_);
      }
    }
  }

 protected:
  std::vector<std::string> pieces_, text_;
  std::vector<float> scores_;
  std::vector<uint8_t> types_;
  std::vector<int32_t> user_defined_;
  std::vector<int32_t> special_ids_;  // control and user-defined ids, ascending (split_special)
  std::unordered_map<std::string, int32_t> index_;
  int32_t byte_ids_[256] = {};
  int32_t unk_;
  bool add_space_prefix_;
};

std::unique_ptr<SpmVocab> make_spm(std::vector<std::string> pieces, std::vector<float> scores,
                                   std::vector<uint8_t> types, int32_t bos, int32_t eos, int32_t unk,
                                   bool add_space_prefix, bool add_bos, const std::string& kind) {
  return std::make_unique<SpmVocab>(std::move(pieces), std::move(scores), std::move(types), bos, eos, unk,
                                    add_space_prefix, add_bos, kind);
}

}  // namespace

std::unique_ptr<Tokenizer> make_gguf_spm_tokenizer(const GgufFile& g) {
  auto* toks = g.get("tokenizer.ggml.tokens");
  if (!toks || !std::holds_alternative<std::vector<std::string>>(*toks))
    throw_model_error(g.path(), "missing tokenizer.ggml.tokens");
  std::vector<std::string> pieces = std::get<std::vector<std::string>>(*toks);
  std::vector<float> scores;
  if (auto* sc = g.get("tokenizer.ggml.scores"); sc && std::holds_alternative<std::vector<double>>(*sc))
    for (double d : std::get<std::vector<double>>(*sc)) scores.push_back((float)d);
  std::vector<uint8_t> types;
  if (auto* ty = g.get("tokenizer.ggml.token_type"); ty && std::holds_alternative<std::vector<int64_t>>(*ty))
    for (int64_t t : std::get<std::vector<int64_t>>(*ty)) types.push_back((uint8_t)t);
  return make_spm(std::move(pieces), std::move(scores), std::move(types),
                  (int32_t)g.get_int("tokenizer.ggml.bos_token_id", 1), (int32_t)g.get_int("tokenizer.ggml.eos_token_id", 2),
                  (int32_t)g.get_int("tokenizer.ggml.unknown_token_id", 0),
                  g.get_bool("tokenizer.ggml.add_space_prefix", true), g.get_bool("tokenizer.ggml.add_bos_token", true),
                  "gguf-spm");
}

std::unique_ptr<Tokenizer> make_llama2c_tokenizer(const std::string& path, int32_t vocab_size) {
  MappedFile f(path);
  const uint8_t* p = f.data();
  size_t n = f.size(), off = 4;
  if (n < 4) throw_model_error(path, "truncated tokenizer file");
  std::vector<std::string> pieces;
  std::vector<float> scores;
  while (off < n && (vocab_size < 0 || (int32_t)pieces.size() < vocab_size)) {
    if (off + 8 > n) throw_model_error(path, "truncated tokenizer file at piece " + std::to_string(pieces.size()));
    float sc;
    int32_t len;
    std::memcpy(&sc, p + off, 4);
    std::memcpy(&len, p + off + 4, 4);
    off += 8;
    if (len < 0 || off + (size_t)len > n) throw_model_error(path, "truncated tokenizer file at piece " + std::to_string(pieces.size()));
    // llama2.c's export stores pieces with U+2581 already turned into spaces; undo that so all
    // SentencePiece vocabularies look alike.
    std::string piece;
    for (size_t i = 0; i < (size_t)len; ++i) {
      char ch = (char)p[off + i];
      if (ch == ' ') piece += kSpace;
      else piece += ch;
    }
    pieces.push_back(std::move(piece));
    scores.push_back(sc);
    off += (size_t)len;
  }
  if (vocab_size > 0 && (int32_t)pieces.size() < vocab_size)
    throw_model_error(path, "has " + std::to_string(pieces.size()) + " pieces, the model needs " + std::to_string(vocab_size));
  std::vector<uint8_t> types(pieces.size(), kNormal);
  // llama2.c's exports: 0 <unk>, 1 <s>, 2 </s>.
  if (types.size() > 2) { types[0] = kUnknown; types[1] = kControl; types[2] = kControl; }
  return make_spm(std::move(pieces), std::move(scores), std::move(types), 1, 2, 0, true, true, "llama2c");
}

namespace {

class SentencePieceTokenizer : public Tokenizer {
 public:
  SentencePieceTokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> sp, std::unique_ptr<SpmVocab> vocab)
      : sp_(std::move(sp)), vocab_(std::move(vocab)) {
    vocab_size_ = vocab_->vocab_size();
    bos_id_ = vocab_->bos_id();
    eos_id_ = vocab_->eos_id();
    add_bos_ = true;
    stop_ids_ = vocab_->stop_ids();
    kind_ = "sentencepiece";
  }
  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const override {
    std::vector<int32_t> out;
    if (add_bos && add_bos_ && bos_id_ >= 0) out.push_back(bos_id_);
    // Special pieces are split out by the vocabulary view; each plain fragment goes to sentencepiece.
    std::vector<std::pair<std::string_view, int32_t>> frags;
    if (parse_special) vocab_->split_special(text, frags);
    else frags.push_back({text, -1});
    for (auto& [f, id] : frags) {
      if (id >= 0) {
        out.push_back(id);
        continue;
      }
      std::vector<int> ids;
      if (sp_->Encode(std::string(f), &ids).ok()) out.insert(out.end(), ids.begin(), ids.end());
    }
    return out;
  }
  std::string token_bytes(int32_t id, int32_t prev) const override { return vocab_->token_bytes(id, prev); }
  std::string piece(int32_t id) const override { return vocab_->piece(id); }
  void set_add_bos(bool b) { add_bos_ = b; }

 private:
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::unique_ptr<SpmVocab> vocab_;
};

}  // namespace

std::unique_ptr<Tokenizer> make_sentencepiece_tokenizer(const std::string& model_file) {
  auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
  auto st = sp->Load(model_file);
  if (!st.ok()) throw_model_error(model_file, "cannot load SentencePiece model: " + st.ToString());
  int n = sp->GetPieceSize();
  std::vector<std::string> pieces(n);
  std::vector<float> scores(n);
  std::vector<uint8_t> types(n, kNormal);
  for (int i = 0; i < n; ++i) {
    pieces[i] = sp->IdToPiece(i);
    scores[i] = sp->GetScore(i);
    if (sp->IsControl(i)) types[i] = kControl;
    else if (sp->IsUnknown(i)) types[i] = kUnknown;
    else if (sp->IsByte(i)) types[i] = kByte;
    else if (sp->IsUnused(i)) types[i] = kUnused;
  }
  auto vocab = make_spm(std::move(pieces), std::move(scores), std::move(types), sp->bos_id(), sp->eos_id(),
                        sp->unk_id(), true, true, "sentencepiece");
  auto tok = std::make_unique<SentencePieceTokenizer>(std::move(sp), std::move(vocab));
  bool add_bos = true;
  auto* v = tok.get();
  apply_hf_folder_configs(*tok, model_file, [v](const std::string& p) -> int32_t {
    for (int32_t i = 0; i < v->vocab_size(); ++i)
      if (v->piece(i) == p) return i;
    return -1;
  }, &add_bos);
  tok->set_add_bos(add_bos);
  return tok;
}

}  // namespace sgl

namespace sgl {
std::unique_ptr<Tokenizer> make_spm_vocab_tokenizer(std::vector<std::string> pieces, std::vector<float> scores,
                                                    std::vector<uint8_t> types, int32_t bos, int32_t eos) {
  return make_spm(std::move(pieces), std::move(scores), std::move(types), bos, eos, 0, true, true, "synthetic");
}
}  // namespace sgl
