// A loaded .sgl source file and positions in it. Spans are byte offsets; line and column numbers
// (1-based, columns counted in Unicode code points) are computed on demand for diagnostics.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sgl {

struct Span {
  uint32_t begin = 0;  // byte offset of the first byte
  uint32_t end = 0;    // byte offset one past the last byte (== begin for a point)
};

inline Span join(Span a, Span b) { return {a.begin < b.begin ? a.begin : b.begin, a.end > b.end ? a.end : b.end}; }

struct LineCol {
  uint32_t line = 1;  // 1-based
  uint32_t col = 1;   // 1-based, in code points
};

class SourceFile {
 public:
  SourceFile(std::string path, std::string text);

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  LineCol line_col(uint32_t offset) const;
  // The text of 1-based line `line`, without its line terminator.
  std::string_view line_text(uint32_t line) const;
  uint32_t line_count() const { return static_cast<uint32_t>(line_starts_.size()); }
  // Byte offset of the start of 1-based line `line`.
  uint32_t line_start(uint32_t line) const { return line_starts_[line - 1]; }

 private:
  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
};

// Source files larger than this are refused with an error instead of being parsed.
inline constexpr size_t kMaxSourceBytes = 8u << 20;

// Returns the offset of the first byte that is not valid UTF-8 (overlong forms, surrogates and
// code points past U+10FFFF are invalid), or npos when the whole text is valid.
size_t find_invalid_utf8(std::string_view text);

// Number of bytes of the UTF-8 sequence starting with byte `lead` (1 for invalid lead bytes).
int utf8_sequence_length(unsigned char lead);

}  // namespace sgl
