// User diagnostics: the .sgl author's mistakes, reported as `file:line:col: error: message`, the
// source line, and a caret under the span (clang's format). Internal errors (our bugs) are not
// diagnostics; they use SGL_ASSERT-style checks instead.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "source.h"

namespace sgl {

enum class Severity { Error, Warning, Note };

struct Note {
  const SourceFile* file = nullptr;  // null: a note without a position
  Span span;
  std::string message;
};

struct Diagnostic {
  Severity severity = Severity::Error;
  const SourceFile* file = nullptr;  // null: an error about no particular file position
  Span span;
  std::string message;
  std::vector<Note> notes;
  std::string path;  // used when file is null (e.g. a file that could not be read)
};

class DiagnosticEngine {
 public:
  // After this many errors, further ones are counted but not kept ("too many errors").
  static constexpr int kErrorLimit = 50;

  Diagnostic& error(const SourceFile* file, Span span, std::string message);
  Diagnostic& warning(const SourceFile* file, Span span, std::string message);
  // An error that is about a file as a whole (missing, unreadable, too large).
  Diagnostic& file_error(std::string path, std::string message);

  // Keeps `file` alive as long as this engine: diagnostics point into their source files, and
  // callers render them after the compilation that read the file is gone.
  void retain(std::shared_ptr<const SourceFile> file) { files_.push_back(std::move(file)); }

  int error_count() const { return errors_; }
  int warning_count() const { return warnings_; }
  bool has_errors() const { return errors_ > 0; }
  const std::vector<Diagnostic>& diagnostics() const { return diags_; }
  void clear();

  // Renders every diagnostic in order of report. `color` adds ANSI colors.
  void render(std::ostream& out, bool color) const;

 private:
  Diagnostic& add(Severity sev, const SourceFile* file, Span span, std::string message);

  std::vector<Diagnostic> diags_;
  Diagnostic overflow_;  // sink once the error limit is hit
  std::vector<std::shared_ptr<const SourceFile>> files_;
  int errors_ = 0;
  int warnings_ = 0;
};

// Renders one diagnostic (with its notes) in the standard format.
void render_diagnostic(std::ostream& out, const Diagnostic& d, bool color);

// "file:line:col" for a position (used by tests and by runtime error messages).
std::string format_location(const SourceFile& file, uint32_t offset);

}  // namespace sgl
