// The three model file formats mapped onto one Model. All matrices are stored [out][in]; the
// formats differ in names, in metadata and in the order of q/k rows (see ModelConfig).
#include "model_loader.h"


#include <sys/stat.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "gguf.h"
#include "safetensors.h"
#include "weight_arena.h"

namespace sgl {

ModelFormat detect_model_format(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_model_error(path, "no such file or folder");
  if (S_ISDIR(st.st_mode)) return ModelFormat::HfFolder;
  MappedFile f(path);
  if (f.size() >= 4 && std::memcmp(f.data(), "GGUF", 4) == 0) return ModelFormat::Gguf;
  return ModelFormat::Llama2c;
}

std::unique_ptr<Model> load_model(const std::string& path) {
  std::unique_ptr<Model> m;
  switch (detect_model_format(path)) {
    case ModelFormat::HfFolder: m = load_hf(path); break;
    case ModelFormat::Gguf: m = load_gguf(path); break;
    case ModelFormat::Llama2c: m = load_llama2c(path); break;
  }
  if (m) place_weights(*m);
  return m;
}

static void check_config(const std::string& file, const ModelConfig& c) {
  auto bad = [&](const char* what) { throw_model_error(file, std::string("invalid model configuration: ") + what); };
  if (c.dim <= 0 || c.hidden_dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 || c.vocab_size <= 0)
    bad("dimensions must be positive");
  if (c.n_heads % c.n_kv_heads) bad("query heads are not a multiple of key/value heads");
  if (c.head_dim <= 0 || c.head_dim % 2 || c.head_dim > 512) bad("head dimension must be even and at most 512");
  if (c.n_layers > 4096 || c.dim > (1 << 20) || c.vocab_size > (1 << 24)) bad("dimensions out of range");
}

// ---- llama2.c ----------------------------------------------------------------------------------

// llama2.c's "version 2" export (export.py version2_export, read by runq.c): a 256-byte header
// (magic "ak42", version 2, the 7 shape ints, a shared-classifier byte, the group size), the fp32
// RMS weights, then each matrix as int8 values followed by one fp32 scale per group. Groups are
// as small as 8 values (stories260K), which no block format of ours matches, so the matrices are
// expanded to F32 once at load (value = q * scale, exactly what runq.c's dequantize computes).
static std::unique_ptr<Model> load_llama2c_v2(const std::string& path, std::unique_ptr<Model> m,
                                              std::unique_ptr<MappedFile> f) {
  if (f->size() < 256) throw_model_error(path, "truncated llama2.c version-2 checkpoint (header is 256 bytes)");
  const uint8_t* base = f->data();
  int32_t version, h[7], group;
  std::memcpy(&version, base + 4, 4);
  if (version != 2) throw_model_error(path, "llama2.c checkpoint version " + std::to_string(version) + " is not supported (only 2)");
  std::memcpy(h, base + 8, 28);
  uint8_t shared = base[36];
  std::memcpy(&group, base + 37, 4);
  m->format = "llama2c-q8";
  ModelConfig& c = m->config;
  c.dim = h[0]; c.hidden_dim = h[1]; c.n_layers = h[2]; c.n_heads = h[3]; c.n_kv_heads = h[4];
  c.vocab_size = h[5]; c.max_seq_len = h[6];
  c.tied_embeddings = shared != 0;
  c.head_dim = c.n_heads > 0 ? c.dim / c.n_heads : 0;
  c.rope_interleaved = true;
  check_config(path, c);
  if (group <= 0 || group > (1 << 20)) throw_model_error(path, "invalid group size " + std::to_string(group));
  const int64_t dim = c.dim, hd = c.hidden_dim, L = c.n_layers, kvd = (int64_t)c.n_kv_heads * c.head_dim;
  const int64_t numels[] = {c.vocab_size * dim, dim * dim, dim * kvd, dim * kvd, dim * dim, dim * hd, dim * hd, dim * hd};
  size_t need = 256 + 4 * (size_t)(L * dim * 2 + dim);
  for (int i = 0; i < 8; ++i) {
    int64_t n = numels[i] * (i == 0 ? 1 : L);
    if (numels[i] % group) throw_model_error(path, "a matrix does not divide into groups of " + std::to_string(group));
    need += (size_t)n + 4 * (size_t)(n / group);
  }
  if (!c.tied_embeddings) need += (size_t)numels[0] + 4 * (size_t)(numels[0] / group);
  if (f->size() < need)
    throw_model_error(path, "truncated llama2.c version-2 checkpoint: " + std::to_string(f->size()) +
                                " bytes, need " + std::to_string(need) + " for the header's shapes");
  const uint8_t* p = base + 256;
  auto take_f32 = [&](int64_t n) { const float* q = (const float*)p; p += 4 * n; return q; };
  const float* att_rms = take_f32(L * dim);
  const float* ffn_rms = take_f32(L * dim);
  m->out_norm = take_f32(dim);
  // One quantized tensor: int8[rows*cols] then fp32[rows*cols/group].
  auto take_q = [&](const char* name, int64_t rows, int64_t cols) {
    int64_t n = rows * cols;
    const int8_t* q = (const int8_t*)p;
    p += n;
    const uint8_t* sc = p;
    p += 4 * (n / group);
    std::vector<float> w((size_t)n);
    for (int64_t i = 0; i < n; ++i) {
      float s;
      std::memcpy(&s, sc + 4 * (i / group), 4);
      w[(size_t)i] = (float)q[i] * s;
    }
    const float* d = m->keep(std::move(w));
    return make_matrix(path, name, DType::F32, rows, cols, (const uint8_t*)d, (size_t)n * 4);
  };
  m->tok_embd = take_q("token_embedding", c.vocab_size, dim);
  m->layers.resize(L);
  for (int64_t l = 0; l < L; ++l) {
    m->layers[l].attn_norm = att_rms + l * dim;
    m->layers[l].ffn_norm = ffn_rms + l * dim;
  }
  for (int64_t l = 0; l < L; ++l) m->layers[l].wq = take_q("wq", dim, dim);
  for (int64_t l = 0; l < L; ++l) m->layers[l].wk = take_q("wk", kvd, dim);
  for (int64_t l = 0; l < L; ++l) m->layers[l].wv = take_q("wv", kvd, dim);
  for (int64_t l = 0; l < L; ++l) m->layers[l].wo = take_q("wo", dim, dim);
  for (int64_t l = 0; l < L; ++l) m->layers[l].w_gate = take_q("w1", hd, dim);
  for (int64_t l = 0; l < L; ++l) m->layers[l].w_down = take_q("w2", dim, hd);
  for (int64_t l = 0; l < L; ++l) m->layers[l].w_up = take_q("w3", hd, dim);
  m->output = c.tied_embeddings ? m->tok_embd : take_q("wcls", c.vocab_size, dim);
  m->files.push_back(std::move(f));
  init_rope(*m);
  return m;
}

std::unique_ptr<Model> load_llama2c(const std::string& path) {
  auto m = std::make_unique<Model>();
  auto f = std::make_unique<MappedFile>(path);
  m->path = path;
  m->format = "llama2c";
  if (f->size() < 28) throw_model_error(path, "truncated llama2.c checkpoint (header is 28 bytes)");
  int32_t h[7];
  std::memcpy(h, f->data(), 28);
  if (h[0] == 0x616b3432) return load_llama2c_v2(path, std::move(m), std::move(f));  // "ak42"
  ModelConfig& c = m->config;
  c.dim = h[0]; c.hidden_dim = h[1]; c.n_layers = h[2]; c.n_heads = h[3]; c.n_kv_heads = h[4];
  c.tied_embeddings = h[5] > 0;
  c.vocab_size = h[5] > 0 ? h[5] : -h[5];
  c.max_seq_len = h[6];
  c.head_dim = c.n_heads > 0 ? c.dim / c.n_heads : 0;
  c.rope_interleaved = true;
  check_config(path, c);
  const int64_t dim = c.dim, hd = c.hidden_dim, L = c.n_layers, kvd = (int64_t)c.n_kv_heads * c.head_dim;
  const int64_t hs = c.head_dim;
  size_t need = 28 + 4 * (size_t)(c.vocab_size * dim + L * dim * 2 + L * dim * dim * 2 + L * dim * kvd * 2 +
                                  L * dim * hd * 3 + dim + (int64_t)c.max_seq_len * hs) +
                (c.tied_embeddings ? 0 : 4 * (size_t)(c.vocab_size * dim));
  if (f->size() < need)
    throw_model_error(path, "truncated llama2.c checkpoint: " + std::to_string(f->size()) + " bytes, need " +
                                std::to_string(need) + " for the header's shapes");
  const uint8_t* p = f->data() + 28;
  auto take = [&](int64_t n) { const uint8_t* q = p; p += 4 * n; return q; };
  auto mat = [&](const char* name, const uint8_t* d, int64_t rows, int64_t cols) {
    return make_matrix(path, name, DType::F32, rows, cols, d, (size_t)(rows * cols * 4));
  };
  m->tok_embd = mat("token_embedding", take(c.vocab_size * dim), c.vocab_size, dim);
  m->layers.resize(L);
  const uint8_t* att_rms = take(L * dim);
  const uint8_t* wq = take(L * dim * dim);
  const uint8_t* wk = take(L * dim * kvd);
  const uint8_t* wv = take(L * dim * kvd);
  const uint8_t* wo = take(L * dim * dim);
  const uint8_t* ffn_rms = take(L * dim);
  const uint8_t* w1 = take(L * dim * hd);
  const uint8_t* w2 = take(L * dim * hd);
  const uint8_t* w3 = take(L * dim * hd);
  for (int64_t l = 0; l < L; ++l) {
    auto& ly = m->layers[l];
    ly.attn_norm = (const float*)(att_rms + 4 * l * dim);
    ly.wq = mat("wq", wq + 4 * l * dim * dim, dim, dim);
    ly.wk = mat("wk", wk + 4 * l * dim * kvd, kvd, dim);
    ly.wv = mat("wv", wv + 4 * l * dim * kvd, kvd, dim);
    ly.wo = mat("wo", wo + 4 * l * dim * dim, dim, dim);
    ly.ffn_norm = (const float*)(ffn_rms + 4 * l * dim);
    ly.w_gate = mat("w1", w1 + 4 * l * dim * hd, hd, dim);
    ly.w_down = mat("w2", w2 + 4 * l * dim * hd, dim, hd);
    ly.w_up = mat("w3", w3 + 4 * l * dim * hd, hd, dim);
  }
  m->out_norm = (const float*)take(dim);
  take((int64_t)c.max_seq_len * hs);  // the two unused RoPE tables, each seq_len * head_dim / 2
  m->output = c.tied_embeddings ? m->tok_embd : mat("wcls", take(c.vocab_size * dim), c.vocab_size, dim);
  m->files.push_back(std::move(f));
  init_rope(*m);
  return m;
}

// ---- GGUF --------------------------------------------------------------------------------------

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

}  // namespace

std::unique_ptr<Model> load_gguf(const std::string& path) {
  auto g = std::make_shared<GgufFile>(path);
  auto m = std::make_unique<Model>();
  m->path = path;
  m->format = "gguf";
  std::string arch = g->get_string("general.architecture");
  if (arch.empty()) throw_model_error(path, "missing general.architecture");
  if (arch != "llama" && arch != "qwen2" && arch != "mistral")
    throw_model_error(path, "unknown architecture '" + arch + "' (supported: llama, mistral, qwen2)");
  ModelConfig& c = m->config;
  c.arch = arch == "qwen2" ? "qwen2" : "llama";
  auto key = [&](const char* k) { return arch + "." + k; };
  auto req = [&](const char* k) {
    int64_t v = g->get_int(key(k), -1);
    if (v < 0) throw_model_error(path, "missing metadata " + key(k));
    return (int)v;
  };
  c.dim = req("embedding_length");
  c.hidden_dim = req("feed_forward_length");
  c.n_layers = req("block_count");
  c.n_heads = req("attention.head_count");
  c.n_kv_heads = (int)g->get_int(key("attention.head_count_kv"), c.n_heads);
  c.head_dim = (int)g->get_int(key("attention.key_length"), c.n_heads ? c.dim / c.n_heads : 0);
  c.max_seq_len = (int)g->get_int(key("context_length"), 2048);
  c.norm_eps = (float)g->get_float(key("attention.layer_norm_rms_epsilon"), 1e-5);
  c.rope_theta = (float)g->get_float(key("rope.freq_base"), 10000.0);
  c.rope_interleaved = arch != "qwen2";
  c.qkv_bias = arch == "qwen2";
  c.bos_id = (int)g->get_int("tokenizer.ggml.bos_token_id", 1);
  c.eos_id = (int)g->get_int("tokenizer.ggml.eos_token_id", 2);
  const GgufTensor* emb = g->tensor("token_embd.weight");
  if (!emb) throw_model_error(path, "missing tensor 'token_embd.weight'");
  if (emb->ne.size() != 2) throw_model_error(path, "tensor 'token_embd.weight' is not a matrix");
  c.vocab_size = (int)emb->ne[1];
  check_config(path, c);

  auto mat = [&](const std::string& name, int64_t rows, int64_t cols, bool optional = false) -> Matrix {
    const GgufTensor* t = g->tensor(name);
    if (!t) {
      if (optional) return {};
      throw_model_error(path, "missing tensor '" + name + "'");
    }
    std::vector<int64_t> want = {cols, rows};
    if (t->ne != want)
      throw_model_error(path, "tensor '" + name + "' has shape " + shape_str(t->ne) + ", expected " + shape_str(want));
    return make_matrix(path, name, t->dtype, rows, cols, t->data, t->nbytes);
  };
  auto vec = [&](const std::string& name, int64_t n, bool optional = false) -> const float* {
    const GgufTensor* t = g->tensor(name);
    if (!t) {
      if (optional) return nullptr;
      throw_model_error(path, "missing tensor '" + name + "'");
    }
    if (t->ne.size() != 1 || t->ne[0] != n)
      throw_model_error(path, "tensor '" + name + "' has shape " + shape_str(t->ne) + ", expected [" + std::to_string(n) + "]");
    return m->f32_vector(t->dtype, t->data, n);
  };
  const int64_t dim = c.dim, qd = (int64_t)c.n_heads * c.head_dim, kvd = (int64_t)c.n_kv_heads * c.head_dim;
  m->tok_embd = mat("token_embd.weight", c.vocab_size, dim);
  m->layers.resize(c.n_layers);
  for (int l = 0; l < c.n_layers; ++l) {
    std::string b = "blk." + std::to_string(l) + ".";
    auto& ly = m->layers[l];
    ly.attn_norm = vec(b + "attn_norm.weight", dim);
    ly.wq = mat(b + "attn_q.weight", qd, dim);
    ly.wk = mat(b + "attn_k.weight", kvd, dim);
    ly.wv = mat(b + "attn_v.weight", kvd, dim);
    ly.wo = mat(b + "attn_output.weight", dim, qd);
    ly.bq = vec(b + "attn_q.bias", qd, true);
    ly.bk = vec(b + "attn_k.bias", kvd, true);
    ly.bv = vec(b + "attn_v.bias", kvd, true);
    ly.ffn_norm = vec(b + "ffn_norm.weight", dim);
    ly.w_gate = mat(b + "ffn_gate.weight", c.hidden_dim, dim);
    ly.w_down = mat(b + "ffn_down.weight", dim, c.hidden_dim);
    ly.w_up = mat(b + "ffn_up.weight", c.hidden_dim, dim);
  }
  m->out_norm = vec("output_norm.weight", dim);
  m->output = mat("output.weight", c.vocab_size, dim, true);
  c.tied_embeddings = m->output.data == nullptr;
  if (c.tied_embeddings) m->output = m->tok_embd;
  init_rope(*m);
  // Llama 3.1 GGUFs carry the RoPE scaling as per-dimension frequency divisors.
  if (const float* ff = vec("rope_freqs.weight", c.head_dim / 2, true))
    for (int i = 0; i < c.head_dim / 2; ++i) m->rope_inv_freq[i] /= ff[i];
  m->keepalive.push_back(g);  // the GgufFile owns the mapping the views point into
  return m;
}

// ---- Hugging Face folder -----------------------------------------------------------------------

std::unique_ptr<Model> load_hf(const std::string& dir) {
  std::string cfg_path = dir + "/config.json";
  if (!file_exists(cfg_path)) throw_model_error(dir, "not a model folder: config.json is missing");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text_file(cfg_path));
  } catch (const nlohmann::json::exception& e) {
    throw_model_error(cfg_path, std::string("invalid JSON: ") + e.what());
  }
  auto m = std::make_unique<Model>();
  m->path = dir;
  m->format = "hf";
  ModelConfig& c = m->config;
  std::string mt = j.value("model_type", "");
  if (mt != "llama" && mt != "mistral" && mt != "qwen2")
    throw_model_error(cfg_path, "unknown architecture '" + mt + "' (supported model_type: llama, mistral, qwen2)");
  c.arch = mt == "qwen2" ? "qwen2" : "llama";
  auto geti = [&](const char* k) {
    if (!j.contains(k) || !j[k].is_number_integer()) throw_model_error(cfg_path, std::string("missing integer '") + k + "'");
    return j[k].get<int>();
  };
  c.dim = geti("hidden_size");
  c.hidden_dim = geti("intermediate_size");
  c.n_layers = geti("num_hidden_layers");
  c.n_heads = geti("num_attention_heads");
  c.n_kv_heads = j.contains("num_key_value_heads") && j["num_key_value_heads"].is_number_integer()
                     ? j["num_key_value_heads"].get<int>() : c.n_heads;
  c.head_dim = j.contains("head_dim") && j["head_dim"].is_number_integer() ? j["head_dim"].get<int>()
                                                                           : (c.n_heads ? c.dim / c.n_heads : 0);
  c.vocab_size = geti("vocab_size");
  c.max_seq_len = j.value("max_position_embeddings", 2048);
  c.norm_eps = j.value("rms_norm_eps", 1e-5f);
  c.rope_theta = j.value("rope_theta", 10000.0f);
  c.rope_interleaved = false;
  c.qkv_bias = mt == "qwen2" || j.value("attention_bias", false);
  c.tied_embeddings = j.value("tie_word_embeddings", mt != "llama" && mt != "mistral");
  // Mistral v0.1 attends within a window; later Mistrals say null. Qwen2 configs carry a
  // sliding_window too but switch it off with use_sliding_window: false (the default).
  if (j.contains("sliding_window") && j["sliding_window"].is_number_integer() &&
      (mt == "mistral" || j.value("use_sliding_window", false)))
    c.sliding_window = std::max(0, j["sliding_window"].get<int>());
  if (j.contains("bos_token_id") && j["bos_token_id"].is_number_integer()) c.bos_id = j["bos_token_id"];
  if (j.contains("eos_token_id") && j["eos_token_id"].is_number_integer()) c.eos_id = j["eos_token_id"];
  if (j.contains("eos_token_id") && j["eos_token_id"].is_array() && !j["eos_token_id"].empty())
    c.eos_id = j["eos_token_id"][0];
  if (j.contains("rope_scaling") && j["rope_scaling"].is_object()) {
    auto& rs = j["rope_scaling"];
    std::string rt = rs.value("rope_type", rs.value("type", ""));
    if (rt == "llama3") {
      c.rope_factor = rs.value("factor", 8.0f);
      c.rope_low_freq_factor = rs.value("low_freq_factor", 1.0f);
      c.rope_high_freq_factor = rs.value("high_freq_factor", 4.0f);
      c.rope_original_max_pos = rs.value("original_max_position_embeddings", 8192);
    } else if (!rt.empty() && rt != "default") {
      throw_model_error(cfg_path, "unsupported rope_scaling type '" + rt + "'");
    }
  }
  check_config(cfg_path, c);

  auto st = std::make_shared<SafetensorsSet>(dir);
  auto find = [&](const std::string& name, std::vector<int64_t> want, bool optional) -> const SafeTensor* {
    const SafeTensor* t = st->find(name);
    if (!t) {
      if (optional) return nullptr;
      throw_model_error(st->describe(), "missing tensor '" + name + "'");
    }
    if (t->shape != want)
      throw_model_error(t->file, "tensor '" + name + "' has shape " + shape_str(t->shape) + ", expected " + shape_str(want));
    return t;
  };
  auto mat = [&](const std::string& name, int64_t rows, int64_t cols, bool optional = false) -> Matrix {
    const SafeTensor* t = find(name, {rows, cols}, optional);
    if (!t) return {};
    return make_matrix(t->file, name, t->dtype, rows, cols, t->data, t->nbytes);
  };
  auto vec = [&](const std::string& name, int64_t n, bool optional = false) -> const float* {
    const SafeTensor* t = find(name, {n}, optional);
    if (!t) return nullptr;
    return m->f32_vector(t->dtype, t->data, n);
  };
  const int64_t dim = c.dim, qd = (int64_t)c.n_heads * c.head_dim, kvd = (int64_t)c.n_kv_heads * c.head_dim;
  m->tok_embd = mat("model.embed_tokens.weight", c.vocab_size, dim);
  m->layers.resize(c.n_layers);
  for (int l = 0; l < c.n_layers; ++l) {
    std::string b = "model.layers." + std::to_string(l) + ".";
    auto& ly = m->layers[l];
    ly.attn_norm = vec(b + "input_layernorm.weight", dim);
    ly.wq = mat(b + "self_attn.q_proj.weight", qd, dim);
    ly.wk = mat(b + "self_attn.k_proj.weight", kvd, dim);
    ly.wv = mat(b + "self_attn.v_proj.weight", kvd, dim);
    ly.wo = mat(b + "self_attn.o_proj.weight", dim, qd);
    ly.bq = vec(b + "self_attn.q_proj.bias", qd, !c.qkv_bias);
    ly.bk = vec(b + "self_attn.k_proj.bias", kvd, !c.qkv_bias);
    ly.bv = vec(b + "self_attn.v_proj.bias", kvd, !c.qkv_bias);
    ly.ffn_norm = vec(b + "post_attention_layernorm.weight", dim);
    ly.w_gate = mat(b + "mlp.gate_proj.weight", c.hidden_dim, dim);
    ly.w_down = mat(b + "mlp.down_proj.weight", dim, c.hidden_dim);
    ly.w_up = mat(b + "mlp.up_proj.weight", c.hidden_dim, dim);
  }
  m->out_norm = vec("model.norm.weight", dim);
  m->output = mat("lm_head.weight", c.vocab_size, dim, true);
  if (!m->output.data) {
    c.tied_embeddings = true;
    m->output = m->tok_embd;
  } else {
    c.tied_embeddings = false;
  }
  m->keepalive.push_back(st);
  init_rope(*m);
  return m;
}

}  // namespace sgl
