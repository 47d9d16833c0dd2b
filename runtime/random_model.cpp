// Random-weights models. Every tensor draws from its own splitmix64 stream (seed, tensor index),
// so the in-memory model and the files written from the same seed hold the same numbers.
#include "random_model.h"


#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gguf.h"
#include "safetensors.h"
#include "spm_tokenizer.h"
#include "weight_arena.h"

namespace sgl {

ModelConfig random_model_config(const std::string& like) {
  ModelConfig c;
  auto set = [&](int dim, int hidden, int layers, int heads, int kv, int vocab, int ctx, float theta) {
    c.dim = dim; c.hidden_dim = hidden; c.n_layers = layers; c.n_heads = heads; c.n_kv_heads = kv;
    c.vocab_size = vocab; c.max_seq_len = ctx; c.rope_theta = theta; c.head_dim = dim / heads;
  };
  if (like == "stories15M") set(288, 768, 6, 6, 6, 32000, 256, 10000);
  else if (like == "stories260K") set(64, 172, 5, 8, 4, 512, 512, 10000);
  else if (like == "tinyllama-1.1b") { set(2048, 5632, 22, 32, 4, 32000, 2048, 10000); c.tied_embeddings = false; }
  else if (like == "llama-3.2-1b") {
    set(2048, 8192, 16, 32, 8, 128256, 131072, 500000);
    c.rope_factor = 32; c.rope_low_freq_factor = 1; c.rope_high_freq_factor = 4; c.rope_original_max_pos = 8192;
  } else if (like == "llama-3.1-8b") {
    set(4096, 14336, 32, 32, 8, 128256, 131072, 500000);
    c.tied_embeddings = false;
    c.rope_factor = 8; c.rope_low_freq_factor = 1; c.rope_high_freq_factor = 4; c.rope_original_max_pos = 8192;
  } else if (like.size() > 5 && like.substr(like.size() - 5) == ".json") {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_text_file(like));
      set(j.at("hidden_size"), j.at("intermediate_size"), j.at("num_hidden_layers"), j.at("num_attention_heads"),
          j.value("num_key_value_heads", j.at("num_attention_heads").get<int>()), j.at("vocab_size"),
          j.value("max_position_embeddings", 2048), j.value("rope_theta", 10000.0f));
      if (j.contains("head_dim") && j["head_dim"].is_number_integer()) c.head_dim = j["head_dim"];
      c.norm_eps = j.value("rms_norm_eps", 1e-5f);
      c.tied_embeddings = j.value("tie_word_embeddings", false);
      std::string mt = j.value("model_type", "llama");
      if (mt == "qwen2") { c.arch = "qwen2"; c.qkv_bias = true; }
      else if (mt != "llama" && mt != "mistral") throw_model_error(like, "unknown architecture '" + mt + "'");
      if (j.contains("rope_scaling") && j["rope_scaling"].is_object() &&
          j["rope_scaling"].value("rope_type", j["rope_scaling"].value("type", "")) == "llama3") {
        auto& rs = j["rope_scaling"];
        c.rope_factor = rs.value("factor", 8.0f);
        c.rope_low_freq_factor = rs.value("low_freq_factor", 1.0f);
        c.rope_high_freq_factor = rs.value("high_freq_factor", 4.0f);
        c.rope_original_max_pos = rs.value("original_max_position_embeddings", 8192);
      }
      if (j.contains("bos_token_id") && j["bos_token_id"].is_number_integer()) c.bos_id = j["bos_token_id"];
      if (j.contains("eos_token_id") && j["eos_token_id"].is_number_integer()) c.eos_id = j["eos_token_id"];
    } catch (const nlohmann::json::exception& e) {
      throw_model_error(like, std::string("invalid config: ") + e.what());
    }
  } else {
    throw_model_error(like, "unknown model shape (use stories15M, stories260K, tinyllama-1.1b, llama-3.2-1b, llama-3.1-8b or a config.json)");
  }
  c.max_seq_len = std::min(c.max_seq_len, 8192);
  return c;
}

bool parse_random_spec(const std::string& spec, std::string* like, DType* dtype) {
  if (spec.rfind("random:", 0) != 0) return false;
  std::string rest = spec.substr(7);
  *dtype = DType::F32;
  size_t k = rest.rfind(':');
  if (k != std::string::npos) {
    DType d;
    if (parse_dtype(rest.substr(k + 1), &d)) {
      *dtype = d;
      rest = rest.substr(0, k);
    }
  }
  *like = rest;
  return true;
}

namespace {

struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  float uniform() { return (float)((next() >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f; }
};

// One weight tensor: rows x cols stored in `dtype`, values uniform in +-1/sqrt(cols).
std::vector<uint8_t> random_matrix(uint64_t seed, uint64_t index, int64_t rows, int64_t cols, DType dtype) {
  Rng r{seed * 1000003ull + index};
  float a = 1.0f / std::sqrt((float)cols);
  std::vector<uint8_t> out(row_bytes(dtype, cols) * (size_t)rows);
  std::vector<float> row(cols);
  for (int64_t i = 0; i < rows; ++i) {
    for (auto& v : row) v = r.uniform() * a;
    quantize_row(dtype, row.data(), out.data() + (size_t)i * row_bytes(dtype, cols), cols);
  }
  return out;
}

struct TensorPlan {
  std::string gguf, hf;
  int64_t rows, cols;  // cols == 0: a vector of `rows` ones (norm) or small values (bias)
  bool bias = false;
};

std::vector<TensorPlan> plan(const ModelConfig& c) {
  std::vector<TensorPlan> p;
  const int64_t dim = c.dim, qd = (int64_t)c.n_heads * c.head_dim, kvd = (int64_t)c.n_kv_heads * c.head_dim;
  p.push_back({"token_embd.weight", "model.embed_tokens.weight", c.vocab_size, dim});
  for (int l = 0; l < c.n_layers; ++l) {
    std::string g = "blk." + std::to_string(l) + ".", h = "model.layers." + std::to_string(l) + ".";
    p.push_back({g + "attn_norm.weight", h + "input_layernorm.weight", dim, 0});
    p.push_back({g + "attn_q.weight", h + "self_attn.q_proj.weight", qd, dim});
    p.push_back({g + "attn_k.weight", h + "self_attn.k_proj.weight", kvd, dim});
    p.push_back({g + "attn_v.weight", h + "self_attn.v_proj.weight", kvd, dim});
    if (c.qkv_bias) {
      p.push_back({g + "attn_q.bias", h + "self_attn.q_proj.bias", qd, 0, true});
      p.push_back({g + "attn_k.bias", h + "self_attn.k_proj.bias", kvd, 0, true});
      p.push_back({g + "attn_v.bias", h + "self_attn.v_proj.bias", kvd, 0, true});
    }
    p.push_back({g + "attn_output.weight", h + "self_attn.o_proj.weight", dim, qd});
    p.push_back({g + "ffn_norm.weight", h + "post_attention_layernorm.weight", dim, 0});
    p.push_back({g + "ffn_gate.weight", h + "mlp.gate_proj.weight", c.hidden_dim, dim});
    p.push_back({g + "ffn_down.weight", h + "mlp.down_proj.weight", dim, c.hidden_dim});
    p.push_back({g + "ffn_up.weight", h + "mlp.up_proj.weight", c.hidden_dim, dim});
  }
  p.push_back({"output_norm.weight", "model.norm.weight", dim, 0});
  if (!c.tied_embeddings) p.push_back({"output.weight", "lm_head.weight", c.vocab_size, dim});
  return p;
}

std::vector<float> random_vector(uint64_t seed, uint64_t index, int64_t n, bool bias) {
  std::vector<float> v(n, 1.0f);
  if (bias) {
    Rng r{seed * 1000003ull + index};
    for (auto& x : v) x = r.uniform() * 0.1f;
  }
  return v;
}

std::vector<uint8_t> as_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

void synthetic_vocab(const ModelConfig& c, std::vector<std::string>& pieces, std::vector<float>& scores,
                     std::vector<uint8_t>& types) {
  pieces = {"<unk>", "<s>", "</s>"};
  types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    pieces.push_back(buf);
    types.push_back(6);
  }
  // The word boundary on its own, as every SentencePiece vocabulary has it: without it a space
  // would be spelled as the three byte tokens of U+2581 and never come back as a space.
  pieces.push_back("\xe2\x96\x81");
  types.push_back(1);
  // Meaningless but printable words, so random models print readable gibberish.
  static const char* syl[] = {"ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "den", "pa", "qu", "zel", "or", "an", "es", "it"};
  Rng r{42};
  while ((int)pieces.size() < c.vocab_size) {
    std::string w = (r.next() % 3) ? "\xe2\x96\x81" : "";
    int n = 1 + (int)(r.next() % 3);
    for (int i = 0; i < n; ++i) w += syl[r.next() % 16];
    w += std::to_string(pieces.size());
    pieces.push_back(w);
    types.push_back(1);
  }
  pieces.resize(c.vocab_size);
  types.resize(c.vocab_size);
  scores.resize(c.vocab_size);
  for (int i = 0; i < c.vocab_size; ++i) scores[i] = -(float)i;
}

}  // namespace

std::unique_ptr<Model> make_random_model(const ModelConfig& cfg, DType dtype, uint64_t seed) {
  auto m = std::make_unique<Model>();
  m->config = cfg;
  m->config.bos_id = 1;
  m->config.eos_id = 2;
  m->config.rope_interleaved = cfg.arch != "qwen2";  // as the GGUF we would write
  m->path = "random";
  m->format = "random";
  const ModelConfig& c = m->config;
  auto tensors = plan(c);
  m->layers.resize(c.n_layers);
  auto matrix = [&](size_t idx, const TensorPlan& t) {
    m->owned_bytes.push_back(random_matrix(seed, idx, t.rows, t.cols, dtype));
    auto& b = m->owned_bytes.back();
    return make_matrix("random", t.gguf, dtype, t.rows, t.cols, b.data(), b.size());
  };
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorPlan& t = tensors[i];
    const std::string& n = t.gguf;
    if (n == "token_embd.weight") { m->tok_embd = matrix(i, t); continue; }
    if (n == "output.weight") { m->output = matrix(i, t); continue; }
    if (n == "output_norm.weight") { m->out_norm = m->keep(random_vector(seed, i, t.rows, false)); continue; }
    int l = std::stoi(n.substr(4));
    LayerWeights& ly = m->layers[l];
    std::string s = n.substr(n.find('.', 4) + 1);
    if (t.cols == 0) {
      const float* v = m->keep(random_vector(seed, i, t.rows, t.bias));
      if (s == "attn_norm.weight") ly.attn_norm = v;
      else if (s == "ffn_norm.weight") ly.ffn_norm = v;
      else if (s == "attn_q.bias") ly.bq = v;
      else if (s == "attn_k.bias") ly.bk = v;
      else if (s == "attn_v.bias") ly.bv = v;
      continue;
    }
    Matrix mt = matrix(i, t);
    if (s == "attn_q.weight") ly.wq = mt;
    else if (s == "attn_k.weight") ly.wk = mt;
    else if (s == "attn_v.weight") ly.wv = mt;
    else if (s == "attn_output.weight") ly.wo = mt;
    else if (s == "ffn_gate.weight") ly.w_gate = mt;
    else if (s == "ffn_down.weight") ly.w_down = mt;
    else if (s == "ffn_up.weight") ly.w_up = mt;
  }
  if (c.tied_embeddings) m->output = m->tok_embd;
  init_rope(*m);
  place_weights(*m);
  return m;
}

std::unique_ptr<Tokenizer> make_random_tokenizer(const ModelConfig& c) {
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<uint8_t> types;
  synthetic_vocab(c, pieces, scores, types);
  return make_spm_vocab_tokenizer(std::move(pieces), std::move(scores), std::move(types), 1, 2);
}

void write_random_gguf(const ModelConfig& c, DType dtype, uint64_t seed, const std::string& path) {
  GgufWriter w;
  const std::string a = c.arch == "qwen2" ? "qwen2" : "llama";
  w.set("general.architecture", a);
  w.set("general.name", std::string("sglc random weights (meaningless)"));
  w.set_u32("general.file_type", dtype == DType::F32 ? 0 : dtype == DType::F16 ? 1 : dtype == DType::Q4_0 ? 2
                                 : dtype == DType::Q8_0 ? 7 : 32);
  w.set_u32(a + ".context_length", (uint32_t)c.max_seq_len);
  w.set_u32(a + ".embedding_length", (uint32_t)c.dim);
  w.set_u32(a + ".feed_forward_length", (uint32_t)c.hidden_dim);
  w.set_u32(a + ".block_count", (uint32_t)c.n_layers);
  w.set_u32(a + ".attention.head_count", (uint32_t)c.n_heads);
  w.set_u32(a + ".attention.head_count_kv", (uint32_t)c.n_kv_heads);
  w.set_u32(a + ".rope.dimension_count", (uint32_t)c.head_dim);
  w.set_f32(a + ".attention.layer_norm_rms_epsilon", c.norm_eps);
  w.set_f32(a + ".rope.freq_base", c.rope_theta);
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<uint8_t> types;
  synthetic_vocab(c, pieces, scores, types);
  w.set("tokenizer.ggml.model", std::string("llama"));
  w.set("tokenizer.ggml.tokens", pieces);
  w.set("tokenizer.ggml.scores", std::vector<double>(scores.begin(), scores.end()));
  w.set("tokenizer.ggml.token_type", std::vector<int64_t>(types.begin(), types.end()));
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  w.set_u32("tokenizer.ggml.unknown_token_id", 0);
  auto tensors = plan(c);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorPlan& t = tensors[i];
    if (t.cols == 0) w.add_tensor(t.gguf, {t.rows}, DType::F32, as_bytes(random_vector(seed, i, t.rows, t.bias)));
    else w.add_tensor(t.gguf, {t.cols, t.rows}, dtype, random_matrix(seed, i, t.rows, t.cols, dtype));
  }
  if (c.rope_factor > 0) {
    // llama.cpp applies Llama 3 scaling through per-dimension frequency divisors.
    Model tmp;
    tmp.config = c;
    ModelConfig plain = c;
    plain.rope_factor = 0;
    Model base;
    base.config = plain;
    init_rope(tmp);
    init_rope(base);
    std::vector<float> ff(c.head_dim / 2);
    for (int i = 0; i < c.head_dim / 2; ++i) ff[i] = base.rope_inv_freq[i] / tmp.rope_inv_freq[i];
    w.add_tensor("rope_freqs.weight", {(int64_t)ff.size()}, DType::F32, as_bytes(ff));
  }
  w.write(path);
}

void write_random_hf(const ModelConfig& c, DType dtype, uint64_t seed, const std::string& dir) {
  if (dtype != DType::F32 && dtype != DType::F16 && dtype != DType::BF16)
    throw_model_error(dir, std::string("Hugging Face folders hold f32, f16 or bf16 weights, not ") + dtype_name(dtype));
  ::mkdir(dir.c_str(), 0755);
  nlohmann::ordered_json j = {
      {"architectures", {c.arch == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"}},
      {"model_type", c.arch},
      {"hidden_size", c.dim},
      {"intermediate_size", c.hidden_dim},
      {"num_hidden_layers", c.n_layers},
      {"num_attention_heads", c.n_heads},
      {"num_key_value_heads", c.n_kv_heads},
      {"head_dim", c.head_dim},
      {"vocab_size", c.vocab_size},
      {"max_position_embeddings", c.max_seq_len},
      {"rms_norm_eps", c.norm_eps},
      {"rope_theta", c.rope_theta},
      {"tie_word_embeddings", c.tied_embeddings},
      {"bos_token_id", 1},
      {"eos_token_id", 2},
      {"torch_dtype", dtype == DType::F32 ? "float32" : dtype == DType::F16 ? "float16" : "bfloat16"}};
  if (c.rope_factor > 0)
    j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", c.rope_factor}, {"low_freq_factor", c.rope_low_freq_factor},
                         {"high_freq_factor", c.rope_high_freq_factor},
                         {"original_max_position_embeddings", c.rope_original_max_pos}};
  {
    std::ofstream f(dir + "/config.json");
    f << j.dump(2);
    if (!f) throw_model_error(dir + "/config.json", "write failed");
  }
  std::vector<SafeTensorOut> out;
  auto tensors = plan(c);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorPlan& t = tensors[i];
    if (t.cols == 0) {
      auto v = random_vector(seed, i, t.rows, t.bias);
      std::vector<uint8_t> b(row_bytes(dtype, t.rows));
      quantize_row(dtype, v.data(), b.data(), t.rows);
      out.push_back({t.hf, {t.rows}, dtype, std::move(b)});
    } else {
      auto bytes = random_matrix(seed, i, t.rows, t.cols, dtype);
      // Llama GGUF keeps q/k rows interleaved; HF wants rotate-half order. Permute so the HF folder
      // computes exactly what the GGUF from the same seed does (qwen2 is rotate-half in both).
      bool is_q = t.gguf.find("attn_q.weight") != std::string::npos, is_k = t.gguf.find("attn_k.weight") != std::string::npos;
      if (c.arch != "qwen2" && (is_q || is_k)) {
        const int hd = c.head_dim, nh = is_q ? c.n_heads : c.n_kv_heads;
        const size_t rb = row_bytes(dtype, t.cols);
        std::vector<uint8_t> perm(bytes.size());
        for (int h = 0; h < nh; ++h)
          for (int half = 0; half < 2; ++half)
            for (int i2 = 0; i2 < hd / 2; ++i2)
              std::memcpy(perm.data() + (size_t)(h * hd + half * (hd / 2) + i2) * rb,
                          bytes.data() + (size_t)(h * hd + 2 * i2 + half) * rb, rb);
        bytes.swap(perm);
      }
      out.push_back({t.hf, {t.rows, t.cols}, dtype, std::move(bytes)});
    }
  }
  write_safetensors(dir + "/model.safetensors", out);
  // The synthetic vocabulary as a SentencePiece-style BPE tokenizer.json (no merges: byte fallback
  // and whole-piece lookups only).
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<uint8_t> types;
  synthetic_vocab(c, pieces, scores, types);
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (size_t i = 0; i < pieces.size(); ++i) vocab[pieces[i]] = i;
  nlohmann::ordered_json tj = {
      {"version", "1.0"},
      {"added_tokens", {{{"id", 0}, {"content", "<unk>"}, {"special", true}},
                        {{"id", 1}, {"content", "<s>"}, {"special", true}},
                        {{"id", 2}, {"content", "</s>"}, {"special", true}}}},
      {"normalizer", {{"type", "Sequence"}, {"normalizers", {{{"type", "Prepend"}, {"prepend", "\xe2\x96\x81"}}}}}},
      {"pre_tokenizer", nullptr},
      {"decoder", {{"type", "Sequence"}, {"decoders", {{{"type", "ByteFallback"}}}}}},
      {"model", {{"type", "BPE"}, {"byte_fallback", true}, {"unk_token", "<unk>"}, {"vocab", vocab},
                 {"merges", nlohmann::ordered_json::array()}}}};
  std::ofstream f(dir + "/tokenizer.json");
  f << tj.dump();
  if (!f) throw_model_error(dir + "/tokenizer.json", "write failed");
}

}  // namespace sgl
