// Safetensors files (single or sharded through model.safetensors.index.json): memory-mapped tensor
// views, and a writer used to export random-weights Hugging Face folders.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dtype.h"
#include "mapped_file.h"

namespace sgl {

struct SafeTensor {
  std::string name;
  std::vector<int64_t> shape;  // row-major, shape[0] is the output dimension of a weight
  DType dtype;                 // F32, F16 or BF16
  const uint8_t* data;
  size_t nbytes;
  std::string file;            // the shard it lives in, for error messages
};

class SafetensorsSet {
 public:
  // `dir` holds model.safetensors, or model.safetensors.index.json and its shards.
  explicit SafetensorsSet(const std::string& dir);
  const SafeTensor* find(const std::string& name) const;
  const std::string& describe() const { return desc_; }

 private:
  void add_file(const std::string& path);
  std::vector<std::unique_ptr<MappedFile>> files_;
  std::map<std::string, SafeTensor> tensors_;
  std::string desc_;
};

struct SafeTensorOut {
  std::string name;
  std::vector<int64_t> shape;
  DType dtype;
  std::vector<uint8_t> data;
};
void write_safetensors(const std::string& path, const std::vector<SafeTensorOut>& tensors);

}  // namespace sgl
