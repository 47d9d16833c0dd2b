// Where the runtime tests find ../shared/models (SGL_MODELS_DIR at run time overrides the build
// default); tests that need a file skip with a visible MESSAGE when it is missing.
#pragma once

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace sgl::test {

inline std::string models_dir() {
  const char* e = std::getenv("SGL_MODELS_DIR");
  return e && *e ? e : SGL_MODELS_DIR;
}

inline bool have_model(const std::string& rel) {
  struct stat st {};
  bool ok = ::stat((models_dir() + "/" + rel).c_str(), &st) == 0;
  if (!ok) MESSAGE("SKIPPED: test model " << models_dir() << "/" << rel << " not found");
  return ok;
}

inline std::string model_path(const std::string& rel) { return models_dir() + "/" + rel; }

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace sgl::test
