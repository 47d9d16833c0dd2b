#include "diagnostics.h"

#include <ostream>

namespace sgl {

Diagnostic& DiagnosticEngine::add(Severity sev, const SourceFile* file, Span span, std::string message) {
  if (sev == Severity::Error) {
    ++errors_;
    if (errors_ > kErrorLimit) {
      overflow_ = Diagnostic{};
      return overflow_;
    }
  } else if (sev == Severity::Warning) {
    ++warnings_;
  }
  Diagnostic d;
  d.severity = sev;
  d.file = file;
  d.span = span;
  d.message = std::move(message);
  diags_.push_back(std::move(d));
  return diags_.back();
}

Diagnostic& DiagnosticEngine::error(const SourceFile* file, Span span, std::string message) {
  return add(Severity::Error, file, span, std::move(message));
}

Diagnostic& DiagnosticEngine::warning(const SourceFile* file, Span span, std::string message) {
  return add(Severity::Warning, file, span, std::move(message));
}

Diagnostic& DiagnosticEngine::file_error(std::string path, std::string message) {
  Diagnostic& d = add(Severity::Error, nullptr, {}, std::move(message));
  d.path = std::move(path);
  return d;
}

void DiagnosticEngine::clear() {
  diags_.clear();
  errors_ = warnings_ = 0;
}

std::string format_location(const SourceFile& file, uint32_t offset) {
  LineCol lc = file.line_col(offset);
  return file.path() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.col);
}

namespace {

const char* kBold = "\033[1m";
const char* kRed = "\033[1;31m";
const char* kMagenta = "\033[1;35m";
const char* kCyan = "\033[1;36m";
const char* kGreen = "\033[1;32m";
const char* kReset = "\033[0m";

void render_one(std::ostream& out, Severity sev, const SourceFile* file, Span span, const std::string& path,
                const std::string& message, bool color) {
  const char* label = sev == Severity::Error ? "error" : sev == Severity::Warning ? "warning" : "note";
  const char* label_color = sev == Severity::Error ? kRed : sev == Severity::Warning ? kMagenta : kCyan;
  if (color) out << kBold;
  if (file) {
    out << format_location(*file, span.begin) << ": ";
  } else if (!path.empty()) {
    out << path << ": ";
  }
  if (color) out << label_color;
  out << label << ": ";
  if (color) out << kReset << kBold;
  out << message;
  if (color) out << kReset;
  out << '\n';
  if (!file) return;

  LineCol lc = file->line_col(span.begin);
  std::string_view line = file->line_text(lc.line);
  out << line << '\n';
  // Caret line: copy tabs so the caret lines up, everything else becomes a space.
  std::string caret;
  uint32_t line_start = file->line_start(lc.line);
  for (uint32_t i = line_start; i < span.begin && i - line_start < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(file->text()[i]);
    if ((c & 0xC0) == 0x80) continue;
    caret += c == '\t' ? '\t' : ' ';
  }
  caret += '^';
  uint32_t line_end = line_start + static_cast<uint32_t>(line.size());
  uint32_t end = std::min(span.end, line_end);
  bool first = true;
  for (uint32_t i = span.begin; i < end; ++i) {
    unsigned char c = static_cast<unsigned char>(file->text()[i]);
    if ((c & 0xC0) == 0x80) continue;
    if (first) {
      first = false;
      continue;
    }
    caret += '~';
  }
  if (color) out << kGreen;
  out << caret;
  if (color) out << kReset;
  out << '\n';
}

}  // namespace

void render_diagnostic(std::ostream& out, const Diagnostic& d, bool color) {
  render_one(out, d.severity, d.file, d.span, d.path, d.message, color);
  for (const Note& n : d.notes) render_one(out, Severity::Note, n.file, n.span, "", n.message, color);
}

void DiagnosticEngine::render(std::ostream& out, bool color) const {
  for (const Diagnostic& d : diags_) render_diagnostic(out, d, color);
  if (errors_ > kErrorLimit) {
    out << "note: " << (errors_ - kErrorLimit) << " more errors not shown (stopped after " << kErrorLimit
        << ")\n";
  }
}

}  // namespace sgl
