// Model loading: the one-line errors for bad files, and stories260K in all three formats.
#include "model_loader.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "random_model.h"
#include "safetensors.h"
#include "tokenizer.h"
#include "test_models.h"

using namespace sgl;
using sgl::test::have_model;
using sgl::test::model_path;

namespace {

std::string tmpdir() {
  auto d = std::filesystem::temp_directory_path() / ("sgl_loader_" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d.string();
}

void write_file(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

std::string error_of(const std::string& path) {
  try {
    load_model(path);
  } catch (const ModelError& e) {
    std::string m = e.what();
    CHECK(m.find('\n') == std::string::npos);  // one line
    return m;
  }
  return "";
}

}  // namespace

TEST_CASE("model loading errors are one line naming the file and the problem") {
  std::string d = tmpdir();
  CHECK(error_of(d + "/nope.gguf") == d + "/nope.gguf: no such file or folder");
  write_file(d + "/short.bin", "abc");
  CHECK(error_of(d + "/short.bin") == d + "/short.bin: truncated llama2.c checkpoint (header is 28 bytes)");
  // A GGUF cut in half.
  ModelConfig c = random_model_config("stories260K");
  write_random_gguf(c, DType::F32, 1, d + "/full.gguf");
  {
    std::ifstream in(d + "/full.gguf", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), {});
    write_file(d + "/half.gguf", all.substr(0, all.size() / 2));
    write_file(d + "/head.gguf", all.substr(0, 40));
  }
  CHECK(error_of(d + "/half.gguf").find(d + "/half.gguf: truncated: tensor '") == 0);
  CHECK(error_of(d + "/head.gguf") == d + "/head.gguf: truncated GGUF file (header ends early)");
  // HF folder: unknown architecture, missing config, wrong shape, unsupported dtype.
  std::filesystem::create_directories(d + "/empty");
  CHECK(error_of(d + "/empty") == d + "/empty: not a model folder: config.json is missing");
  write_random_hf(c, DType::F32, 1, d + "/hf");
  {
    std::ifstream in(d + "/hf/config.json");
    std::string cfg((std::istreambuf_iterator<char>(in)), {});
    std::string bad = cfg;
    bad.replace(bad.find("\"llama\""), 7, "\"gpt2\"");
    std::filesystem::create_directories(d + "/hf_arch");
    write_file(d + "/hf_arch/config.json", bad);
    CHECK(error_of(d + "/hf_arch") ==
          d + "/hf_arch/config.json: unknown architecture 'gpt2' (supported model_type: llama, mistral, qwen2)");
    std::string wide = cfg;
    wide.replace(wide.find("\"intermediate_size\": 172"), 24, "\"intermediate_size\": 173");
    std::filesystem::copy(d + "/hf", d + "/hf_shape");
    write_file(d + "/hf_shape/config.json", wide);
    CHECK(error_of(d + "/hf_shape") == d + "/hf_shape/model.safetensors: tensor 'model.layers.0.mlp.gate_proj.weight' has shape [172, 64], expected [173, 64]");
    // Rewrite the header dtype of the first tensor to I32 (same width as F32).
    std::ifstream st(d + "/hf/model.safetensors", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(st)), {});
    size_t k = all.find("\"F32\"");
    all.replace(k, 5, "\"I32\"");
    std::filesystem::create_directories(d + "/hf_dtype");
    std::filesystem::copy(d + "/hf/config.json", d + "/hf_dtype/config.json");
    write_file(d + "/hf_dtype/model.safetensors", all);
    CHECK(error_of(d + "/hf_dtype").find(" has unsupported dtype I32 (supported: F32, F16, BF16)") != std::string::npos);
    CHECK(error_of(d + "/hf_dtype").find(d + "/hf_dtype/model.safetensors: tensor '") == 0);
  }
  std::filesystem::remove_all(d);
}

TEST_CASE("stories260K loads from all three formats with the same configuration" * doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K.bin")) return;
  auto a = load_model(model_path("stories260K/stories260K.bin"));
  auto b = load_model(model_path("stories260K-gguf/stories260K.gguf"));
  auto c = load_model(model_path("stories260K-hf"));
  for (auto* m : {a.get(), b.get(), c.get()}) {
    CHECK(m->config.dim == 64);
    CHECK(m->config.hidden_dim == 172);
    CHECK(m->config.n_layers == 5);
    CHECK(m->config.n_heads == 8);
    CHECK(m->config.n_kv_heads == 4);
    CHECK(m->config.vocab_size == 512);
  }
  CHECK(a->config.tied_embeddings);
  CHECK(c->config.tied_embeddings);
  CHECK(a->config.rope_interleaved);
  CHECK(b->config.rope_interleaved);
  CHECK_FALSE(c->config.rope_interleaved);
}

TEST_CASE("llama2.c version-2 (int8) export: every weight within half a quantisation step of the fp32 file" *
          doctest::test_suite("model")) {
  if (!have_model("stories260K/stories260K-q8.v2.bin")) return;
  auto f = load_model(model_path("stories260K/stories260K.bin"));
  auto q = load_model(model_path("stories260K/stories260K-q8.v2.bin"));
  CHECK(q->format == "llama2c-q8");
  CHECK(q->config.dim == f->config.dim);
  CHECK(q->config.hidden_dim == f->config.hidden_dim);
  CHECK(q->config.n_kv_heads == f->config.n_kv_heads);
  CHECK(q->config.vocab_size == f->config.vocab_size);
  CHECK(q->config.tied_embeddings);
  // Its tokenizer is found beside it from the version-2 header's vocabulary size (tok512.bin).
  CHECK(load_tokenizer(model_path("stories260K/stories260K-q8.v2.bin"))->vocab_size() == 512);
  // The file stores groups of 8 values with scale = max|w| / 127, so each dequantised weight is
  // within scale / 2 of the original; RMS weights are stored as fp32 and must match exactly.
  auto close = [](const Matrix& a, const Matrix& b) {
    REQUIRE(a.rows == b.rows);
    REQUIRE(a.cols == b.cols);
    const float* x = (const float*)a.data;
    const float* y = (const float*)b.data;
    int64_t n = a.rows * a.cols, bad = 0;
    for (int64_t g = 0; g < n; g += 8) {
      float mx = 0;
      for (int64_t i = g; i < g + 8; ++i) mx = std::max(mx, std::fabs(y[i]));
      for (int64_t i = g; i < g + 8; ++i) bad += std::fabs(x[i] - y[i]) > mx / 127 * 0.5f * 1.001f + 1e-12f;
    }
    return bad;
  };
  CHECK(close(q->tok_embd, f->tok_embd) == 0);
  for (int l = 0; l < q->config.n_layers; ++l) {
    const auto &a = q->layers[l], &b = f->layers[l];
    CHECK(close(a.wq, b.wq) == 0);
    CHECK(close(a.wk, b.wk) == 0);
    CHECK(close(a.wv, b.wv) == 0);
    CHECK(close(a.wo, b.wo) == 0);
    CHECK(close(a.w_gate, b.w_gate) == 0);
    CHECK(close(a.w_down, b.w_down) == 0);
    CHECK(close(a.w_up, b.w_up) == 0);
    CHECK(std::memcmp(a.attn_norm, b.attn_norm, 4 * q->config.dim) == 0);
    CHECK(std::memcmp(a.ffn_norm, b.ffn_norm, 4 * q->config.dim) == 0);
  }
  CHECK(std::memcmp(q->out_norm, f->out_norm, 4 * q->config.dim) == 0);
}

TEST_CASE("a truncated version-2 checkpoint is a one-line error") {
  std::string d = tmpdir();
  std::string hdr(256, '\0');
  int32_t magic = 0x616b3432, version = 2, shape[7] = {64, 172, 5, 8, 4, 512, 512}, group = 8;
  std::memcpy(&hdr[0], &magic, 4);
  std::memcpy(&hdr[4], &version, 4);
  std::memcpy(&hdr[8], shape, 28);
  hdr[36] = 1;
  std::memcpy(&hdr[37], &group, 4);
  write_file(d + "/short.bin", hdr);
  CHECK(error_of(d + "/short.bin") ==
        d + "/short.bin: truncated llama2.c version-2 checkpoint: 256 bytes, need 392064 for the header's shapes");
  version = 3;
  std::memcpy(&hdr[4], &version, 4);
  write_file(d + "/v3.bin", hdr);
  CHECK(error_of(d + "/v3.bin") == d + "/v3.bin: llama2.c checkpoint version 3 is not supported (only 2)");
  std::filesystem::remove_all(d);
}

TEST_CASE("sharded safetensors with model.safetensors.index.json load like a single file") {
  std::string d = tmpdir();
  ModelConfig c = random_model_config("stories260K");
  write_random_hf(c, DType::BF16, 9, d + "/one");
  // Re-split the single file into two shards plus an index.
  SafetensorsSet one(d + "/one");
  std::vector<std::string> names = {"model.embed_tokens.weight", "model.norm.weight"};
  for (int l = 0; l < c.n_layers; ++l)
    for (const char* n : {"input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
                          "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight",
                          "mlp.gate_proj.weight", "mlp.down_proj.weight", "mlp.up_proj.weight"})
      names.push_back("model.layers." + std::to_string(l) + "." + n);
  std::vector<SafeTensorOut> a, b;
  std::string index = "{\"metadata\": {}, \"weight_map\": {";
  for (size_t i = 0; i < names.size(); ++i) {
    const SafeTensor* t = one.find(names[i]);
    REQUIRE(t != nullptr);
    SafeTensorOut o{t->name, t->shape, t->dtype, std::vector<uint8_t>(t->data, t->data + t->nbytes)};
    std::string shard = i % 2 ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
    (i % 2 ? b : a).push_back(std::move(o));
    index += (i ? ", \"" : "\"") + names[i] + "\": \"" + shard + "\"";
  }
  index += "}}";
  std::filesystem::create_directories(d + "/two");
  std::filesystem::copy(d + "/one/config.json", d + "/two/config.json");
  write_safetensors(d + "/two/model-00001-of-00002.safetensors", a);
  write_safetensors(d + "/two/model-00002-of-00002.safetensors", b);
  write_file(d + "/two/model.safetensors.index.json", index);
  auto m1 = load_model(d + "/one");
  auto m2 = load_model(d + "/two");
  CHECK(m2->main_dtype() == DType::BF16);
  REQUIRE(m1->layers.size() == m2->layers.size());
  for (size_t l = 0; l < m1->layers.size(); ++l) {
    const Matrix &x = m1->layers[l].w_down, &y = m2->layers[l].w_down;
    CHECK(std::memcmp(x.data, y.data, x.row_stride * x.rows) == 0);
  }
  // A shard named in the index but missing is a one-line error naming it.
  std::filesystem::remove(d + "/two/model-00002-of-00002.safetensors");
  CHECK(error_of(d + "/two").find("model-00002-of-00002.safetensors: cannot open") != std::string::npos);
  std::filesystem::remove_all(d);
}

TEST_CASE("config.json: Mistral's sliding_window is read; Qwen2's only with use_sliding_window") {
  std::string d = tmpdir() + "/sw";
  write_random_hf(random_model_config("stories260K"), DType::F32, 3, d);
  auto set_config = [&](const std::string& type, const std::string& extra) {
    std::string cfg = sgl::test::read_all(d + "/config.json");
    size_t at = cfg.find('{');
    REQUIRE(at != std::string::npos);
    cfg.insert(at + 1, "\"sliding_window\": 4096, " + extra);
    size_t mt = cfg.find("\"model_type\"");
    REQUIRE(mt != std::string::npos);
    size_t v0 = cfg.find('"', cfg.find(':', mt));
    size_t v1 = cfg.find('"', v0 + 1);
    cfg.replace(v0, v1 - v0 + 1, "\"" + type + "\"");
    write_file(d + "/config.json", cfg);
  };
  set_config("mistral", "");
  CHECK(load_model(d)->config.sliding_window == 4096);
  ModelConfig qwen = random_model_config("stories260K");
  qwen.arch = "qwen2";
  qwen.qkv_bias = true;
  write_random_hf(qwen, DType::F32, 3, d);
  set_config("qwen2", "");
  CHECK(load_model(d)->config.sliding_window == 0);
  write_random_hf(qwen, DType::F32, 3, d);
  set_config("qwen2", "\"use_sliding_window\": true, ");
  CHECK(load_model(d)->config.sliding_window == 4096);
  std::filesystem::remove_all(d);
}
