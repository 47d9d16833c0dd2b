// The user-facing error of the constraint library: a regex or schema we cannot (or will not)
// compile. It carries where the problem is so callers can point at it.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace sgl::constraint {

// A user diagnostic (the caller's regex or schema is invalid, unsupported or too complex), never
// an internal bug. `offset` is a 0-based byte offset into a regex pattern (npos when it does not
// apply); `json_path` is a JSON pointer like "/properties/name" for schema errors (empty else).
class ConstraintError : public std::runtime_error {
 public:
  static constexpr size_t npos = static_cast<size_t>(-1);

  explicit ConstraintError(const std::string& message, size_t offset = npos,
                           std::string json_path = {})
      : std::runtime_error(message), offset_(offset), json_path_(std::move(json_path)) {}

  size_t offset() const { return offset_; }
  const std::string& json_path() const { return json_path_; }

 private:
  size_t offset_;
  std::string json_path_;
};

}  // namespace sgl::constraint
