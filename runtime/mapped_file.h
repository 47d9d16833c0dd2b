// A read-only memory mapping of a whole file, so model weights are paged in on demand and shared
// with the page cache instead of being copied into the process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace sgl {

// Error in a model or tokenizer file: what() is one line, "PATH: problem".
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_model_error(const std::string& path, const std::string& problem);

class MappedFile {
 public:
  MappedFile() = default;
  explicit MappedFile(const std::string& path);  // throws ModelError
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& o) noexcept { *this = std::move(o); }
  MappedFile& operator=(MappedFile&& o) noexcept;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Whole file as a string (for JSON and small tokenizer files); throws ModelError.
std::string read_text_file(const std::string& path);
bool file_exists(const std::string& path);

}  // namespace sgl
