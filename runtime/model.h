// An in-memory Llama-family model: its configuration and views of its weights. Weights stay in
// the memory-mapped file in their stored dtype; only small vectors (norms, biases) are converted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dtype.h"
#include "mapped_file.h"

namespace sgl {

struct ModelConfig {
  std::string arch = "llama";  // llama (also Llama 3, Mistral, TinyLlama), qwen2
  int dim = 0, hidden_dim = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0, head_dim = 0;
  int vocab_size = 0, max_seq_len = 2048;
  float norm_eps = 1e-5f, rope_theta = 10000.0f;
  // llama2.c and GGUF "llama" keep q/k rows interleaved (pairs 2i, 2i+1); Hugging Face checkpoints
  // and GGUF qwen2 rotate halves (pairs i, i + head_dim/2).
  bool rope_interleaved = true;
  // Llama 3.1 RoPE scaling ("rope_type": "llama3"); factor 0 means none.
  float rope_factor = 0, rope_low_freq_factor = 1, rope_high_freq_factor = 4;
  int rope_original_max_pos = 8192;
  bool tied_embeddings = true;
  bool qkv_bias = false;
  // Mistral's sliding-window attention: a position attends to at most this many positions (itself
  // included); 0 means full causal attention.
  int sliding_window = 0;
  int bos_id = 1, eos_id = 2;
};

// A weight matrix [rows = outputs][cols = inputs], rows contiguous in `dtype` blocks.
struct Matrix {
  DType dtype = DType::F32;
  int64_t rows = 0, cols = 0;
  const uint8_t* data = nullptr;
  size_t row_stride = 0;  // bytes
  const uint8_t* row(int64_t r) const { return data + (size_t)r * row_stride; }
};

struct LayerWeights {
  const float* attn_norm = nullptr;
  Matrix wq, wk, wv, wo;
  const float *bq = nullptr, *bk = nullptr, *bv = nullptr;
  const float* ffn_norm = nullptr;
  Matrix w_gate, w_down, w_up;
};

struct Model {
  ModelConfig config;
  std::string path;
  std::string format;  // "llama2c", "gguf", "hf", "random"
  Matrix tok_embd;
  std::vector<LayerWeights> layers;
  const float* out_norm = nullptr;
  Matrix output;  // == tok_embd when tied
  std::vector<float> rope_inv_freq;  // head_dim/2 inverse frequencies, scaling applied

  // Storage the views point into.
  std::vector<std::unique_ptr<MappedFile>> files;
  std::vector<std::vector<float>> owned_f32;
  std::vector<std::vector<uint8_t>> owned_bytes;
  std::vector<std::shared_ptr<void>> keepalive;  // GgufFile / SafetensorsSet owning mappings

  const float* keep(std::vector<float> v) {
    owned_f32.push_back(std::move(v));
    return owned_f32.back().data();
  }
  // A small vector (norm weights, biases) as F32: the stored data itself when it already is,
  // else a converted copy this model keeps.
  const float* f32_vector(DType dt, const void* data, int64_t n) {
    if (dt == DType::F32) return static_cast<const float*>(data);
    std::vector<float> v(static_cast<size_t>(n));
    dequantize_row(dt, data, v.data(), n);
    return keep(std::move(v));
  }
  // Total bytes of weights (for memory estimates and reports).
  size_t weight_bytes() const;
  DType main_dtype() const { return layers.empty() ? tok_embd.dtype : layers[0].wq.dtype; }
};

// Computes rope_inv_freq from config (theta, head_dim, Llama 3 scaling) unless already set.
void init_rope(Model& m);

// Builds a Matrix view over raw bytes, checking the byte count; throws ModelError naming `file`.
Matrix make_matrix(const std::string& file, const std::string& name, DType dt, int64_t rows,
                   int64_t cols, const uint8_t* data, size_t nbytes);

}  // namespace sgl
