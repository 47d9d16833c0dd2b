// Shared by the golden-text tests (AST and IR dumps of the examples): the compare-or-update step
// and a main() that takes --update. Include after <doctest/doctest.h>.
#pragma once

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace sgl::test {

inline bool g_update_golden = false;

// With --update, writes `actual` to `golden_file`; otherwise the file must exist and hold exactly
// `actual`. `source` is what the text was made from, `binary` the test to rerun with --update.
inline void check_golden(const std::filesystem::path& golden_file, const std::string& actual,
                         const std::filesystem::path& source, const std::string& binary) {
  if (g_update_golden) {
    std::filesystem::create_directories(golden_file.parent_path());
    std::ofstream(golden_file, std::ios::binary) << actual;
    return;
  }
  REQUIRE_MESSAGE(std::filesystem::exists(golden_file),
                  ("missing " + golden_file.string() + "; run build/bin/" + binary + " --update"));
  CHECK_MESSAGE(read_file(golden_file) == actual,
                (source.string() + " no longer prints " + golden_file.string() + "; if intended, run build/bin/" +
                 binary + " --update"));
}

// A golden file whose example is gone is stale.
inline void check_no_stale_golden(const std::filesystem::path& golden_dir, const std::string& ext,
                                  const std::filesystem::path& examples) {
  for (const std::filesystem::path& g : files_with_ext(golden_dir, ext))
    CHECK_MESSAGE(std::filesystem::exists(examples / (g.stem().string() + ".sgl")), ("stale golden file " + g.string()));
}

inline int golden_main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--update") == 0) g_update_golden = true;
    else args.push_back(argv[i]);
  }
  doctest::Context ctx(static_cast<int>(args.size()), args.data());
  return ctx.run();
}

}  // namespace sgl::test
