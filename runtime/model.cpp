// Model helpers shared by all loaders.
#include "model.h"

#include <cmath>

namespace sgl {

size_t Model::weight_bytes() const {
  size_t n = 0;
  auto add = [&](const Matrix& m) { n += m.row_stride * (size_t)m.rows; };
  add(tok_embd);
  for (auto& l : layers) {
    add(l.wq); add(l.wk); add(l.wv); add(l.wo); add(l.w_gate); add(l.w_down); add(l.w_up);
  }
  if (output.data != tok_embd.data) add(output);
  return n;
}

void init_rope(Model& m) {
  const ModelConfig& c = m.config;
  int half = c.head_dim / 2;
  if ((int)m.rope_inv_freq.size() == half) return;
  m.rope_inv_freq.resize(half);
  for (int i = 0; i < half; ++i) {
    double f = 1.0 / std::pow((double)c.rope_theta, (2.0 * i) / c.head_dim);
    if (c.rope_factor > 0) {
      // Llama 3.1: long wavelengths are slowed by `factor`, short ones kept, a smooth blend between.
      double low_wl = c.rope_original_max_pos / c.rope_low_freq_factor;
      double high_wl = c.rope_original_max_pos / c.rope_high_freq_factor;
      double wl = 2 * M_PI / f;
      if (wl > low_wl) {
        f = f / c.rope_factor;
      } else if (wl >= high_wl) {
        double smooth = (c.rope_original_max_pos / wl - c.rope_low_freq_factor) /
                        (c.rope_high_freq_factor - c.rope_low_freq_factor);
        f = (1 - smooth) * f / c.rope_factor + smooth * f;
      }
    }
    m.rope_inv_freq[i] = (float)f;
  }
}

Matrix make_matrix(const std::string& file, const std::string& name, DType dt, int64_t rows,
                   int64_t cols, const uint8_t* data, size_t nbytes) {
  if ((dt == DType::Q8_0 || dt == DType::Q4_0) && cols % kQBlock != 0)
    throw_model_error(file, "tensor '" + name + "' row length " + std::to_string(cols) + " is not a multiple of 32");
  Matrix m;
  m.dtype = dt;
  m.rows = rows;
  m.cols = cols;
  m.data = data;
  m.row_stride = row_bytes(dt, cols);
  if (m.row_stride * (size_t)rows != nbytes)
    throw_model_error(file, "tensor '" + name + "' has " + std::to_string(nbytes) + " bytes, expected " +
                                std::to_string(m.row_stride * (size_t)rows));
  return m;
}

}  // namespace sgl
