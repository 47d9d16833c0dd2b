// GGUF (v2/v3) container: a reader over a memory-mapped file (metadata and tensor views, no
// copies) and a writer for the random-weights models we export for llama.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "dtype.h"
#include "mapped_file.h"

namespace sgl {

// A metadata value: scalars widened, arrays as vectors.
using GgufValue = std::variant<int64_t, uint64_t, double, bool, std::string, std::vector<int64_t>,
                               std::vector<double>, std::vector<std::string>>;

struct GgufTensor {
  std::string name;
  std::vector<int64_t> ne;  // GGUF order: ne[0] is the contiguous (input) dimension
  DType dtype;
  const uint8_t* data;
  size_t nbytes;
};

class GgufFile {
 public:
  explicit GgufFile(const std::string& path);  // throws ModelError naming the file and problem

  const std::string& path() const { return file_.path(); }
  uint32_t version() const { return version_; }
  bool has(const std::string& key) const { return kv_.count(key) != 0; }
  const GgufValue* get(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& def = "") const;
  int64_t get_int(const std::string& key, int64_t def) const;
  double get_float(const std::string& key, double def) const;
  bool get_bool(const std::string& key, bool def) const;
  const GgufTensor* tensor(const std::string& name) const;
  const std::vector<GgufTensor>& tensors() const { return tensors_; }

 private:
  MappedFile file_;
  uint32_t version_ = 0;
  std::map<std::string, GgufValue> kv_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t> index_;
};

// Streams a GGUF v3 file: metadata first, then tensor infos, then the aligned data.
class GgufWriter {
 public:
  void set(const std::string& key, GgufValue v) { kv_.emplace_back(key, std::move(v)); }
  void set_u32(const std::string& key, uint32_t v) { u32_.emplace_back(key, v); }
  void set_f32(const std::string& key, float v) { f32_.emplace_back(key, v); }
  // data must hold row_bytes(dtype, ne[0]) * (product of the other ne) bytes.
  void add_tensor(const std::string& name, std::vector<int64_t> ne, DType dtype,
                  std::vector<uint8_t> data);
  void write(const std::string& path) const;  // throws ModelError

 private:
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::vector<std::pair<std::string, uint32_t>> u32_;
  std::vector<std::pair<std::string, float>> f32_;
  struct T {
    std::string name;
    std::vector<int64_t> ne;
    DType dtype;
    std::vector<uint8_t> data;
  };
  std::vector<T> tensors_;
};

}  // namespace sgl
