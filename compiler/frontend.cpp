#include "frontend.h"

#include <pthread.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "parse.h"

namespace sgl {

namespace {

void* trampoline(void* arg) {
  (*static_cast<const std::function<void()>*>(arg))();
  return nullptr;
}

std::string human_size(size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

void check_text(Compilation& c, DiagnosticEngine& diags, const FrontendOptions& opts) {
  const SourceFile& f = *c.file;
  const std::string& text = f.text();
  if (text.size() > kMaxSourceBytes) {
    diags.file_error(f.path(), "file is too large (" + human_size(text.size()) + "; sglc reads source files up to " +
                                   human_size(kMaxSourceBytes) + ")");
    return;
  }
  size_t nul = text.find('\0');
  if (nul != std::string::npos) {
    LineCol lc = f.line_col(static_cast<uint32_t>(nul));
    diags.file_error(f.path(), "not a text file: it contains a NUL byte at line " + std::to_string(lc.line) +
                                   ", column " + std::to_string(lc.col) + " (.sgl sources are UTF-8 text)");
    return;
  }
  size_t bad = find_invalid_utf8(text);
  if (bad != std::string::npos) {
    LineCol lc = f.line_col(static_cast<uint32_t>(bad));
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[bad]));
    diags.file_error(f.path(), "invalid UTF-8 (byte " + std::string(byte) + " at line " + std::to_string(lc.line) +
                                   ", column " + std::to_string(lc.col) + "); .sgl sources must be UTF-8");
    return;
  }
  if (text.find_first_not_of(" \t\r\n\f") == std::string::npos) {
    diags.error(&f, {0, 0}, "the file is empty; a program needs at least fn main() { ... }");
    return;
  }
  run_with_large_stack([&] {
    c.module = parse_module(f, diags);
    if (!c.module) return;
    c.program = std::make_unique<Program>();
    SemaOptions so;
    so.require_main = opts.require_main;
    check_module(*c.module, *c.program, diags, so);
  });
}

}  // namespace

void run_with_large_stack(const std::function<void()>& fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256u << 20);
  pthread_t thread;
  if (pthread_create(&thread, &attr, trampoline, const_cast<std::function<void()>*>(&fn)) != 0) {
    pthread_attr_destroy(&attr);
    fn();  // could not make a thread: run here
    return;
  }
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

Compilation compile_source(const std::string& path, std::string text, DiagnosticEngine& diags, const FrontendOptions& opts) {
  Compilation c;
  int before = diags.error_count();
  c.file = std::make_shared<SourceFile>(path, std::move(text));
  diags.retain(c.file);
  check_text(c, diags, opts);
  c.ok = diags.error_count() == before && c.module != nullptr;
  return c;
}

Compilation compile_file(const std::string& path, DiagnosticEngine& diags, const FrontendOptions& opts) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    diags.file_error(path, std::string("cannot open file: ") + std::strerror(errno));
    return {};
  }
  if (S_ISDIR(st.st_mode)) {
    diags.file_error(path, "cannot read: it is a directory");
    return {};
  }
  if (static_cast<size_t>(st.st_size) > kMaxSourceBytes) {
    diags.file_error(path, "file is too large (" + human_size(static_cast<size_t>(st.st_size)) +
                               "; sglc reads source files up to " + human_size(kMaxSourceBytes) + ")");
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.file_error(path, std::string("cannot open file: ") + std::strerror(errno));
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return compile_source(path, ss.str(), diags, opts);
}

}  // namespace sgl
