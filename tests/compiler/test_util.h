// Helpers shared by the front-end tests: reading files, running the front end on text, and
// turning diagnostics into comparable "line:col: severity: message" strings.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "diagnostics.h"
#include "frontend.h"

namespace sgl::test {

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::filesystem::path> files_with_ext(const std::filesystem::path& dir, const std::string& ext) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::exists(dir)) return out;
  for (auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ext) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// "3:5: error: message" for each diagnostic (file-level errors have no position: "error: ...").
inline std::vector<std::string> describe(const DiagnosticEngine& diags) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diags.diagnostics()) {
    std::string sev = d.severity == Severity::Error ? "error" : d.severity == Severity::Warning ? "warning" : "note";
    if (d.file) {
      LineCol lc = d.file->line_col(d.span.begin);
      out.push_back(std::to_string(lc.line) + ":" + std::to_string(lc.col) + ": " + sev + ": " + d.message);
    } else {
      out.push_back(sev + ": " + d.message);
    }
  }
  return out;
}

inline std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v) out += "  " + s + "\n";
  return out;
}

}  // namespace sgl::test
