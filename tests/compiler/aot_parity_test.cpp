// JIT vs AOT parity: every example and every tests/sgl/run program, compiled with `sglc build`
// into a standalone executable, prints the same output, the same errors and exits with the same
// status as `sglc run` on the same model and options (the built-in random-weights model, greedy,
// so both runs are deterministic). The executables must not link LLVM or ANTLR.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "test_util.h"

namespace fs = std::filesystem;
using namespace sgl;

namespace {

struct Result {
  int rc = -1;
  std::string out, err;
};

// Runs `cmd` through the shell with stdout and stderr captured separately.
Result sh(const std::string& cmd, const fs::path& dir) {
  fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  std::string full = cmd + " >" + out.string() + " 2>" + err.string();
  int status = std::system(full.c_str());
  Result r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = test::read_file(out);
  r.err = test::read_file(err);
  return r;
}

// The run options a program needs: its // arg lines, and its .jsonl beside it as --batch.
std::string options_for(const fs::path& f) {
  std::string opts = " --model random:stories260K --max-tokens 8 --temperature 0 --seed 1";
  std::istringstream in(test::read_file(f));
  std::string line;
  while (std::getline(in, line)) {
    size_t p = line.find("// arg ");
    if (p != std::string::npos) opts += " --arg '" + line.substr(p + 7) + "'";
  }
  fs::path batch = fs::path(f).replace_extension(".jsonl");
  if (fs::exists(batch)) opts += " --batch " + batch.string();
  return opts;
}

}  // namespace

TEST_CASE("sglc build executables behave exactly like sglc run") {
  fs::path tmp = fs::temp_directory_path() / ("sgl_aot_parity_" + std::to_string(getpid()));
  fs::create_directories(tmp);
  fs::path cwd = fs::current_path();
  fs::current_path(SGL_SOURCE_DIR);  // programs are named relative to the source root, as users do
  std::vector<fs::path> files = test::files_with_ext("examples", ".sgl");
  for (const fs::path& f : test::files_with_ext("tests/sgl/run", ".sgl")) files.push_back(f);
  REQUIRE(files.size() > 10);
  for (const fs::path& f : files) {
    CAPTURE(f.string());
    fs::path exe = tmp / f.stem();
    Result build = sh(std::string(SGLC_PATH) + " build " + f.string() + " -o " + exe.string(), tmp);
    REQUIRE_MESSAGE(build.rc == 0, build.err);
    std::string opts = options_for(f);
    Result jit = sh(std::string(SGLC_PATH) + " run " + f.string() + opts, tmp);
    Result aot = sh(exe.string() + opts, tmp);
    CHECK_MESSAGE(jit.rc == aot.rc, "sglc run exited " << jit.rc << ", the executable " << aot.rc << "\n" << jit.err << aot.err);
    CHECK_MESSAGE(jit.out == aot.out, "stdout differs: sglc run" << opts);
    CHECK_MESSAGE(jit.err == aot.err, "stderr differs:\n--- sglc run\n" << jit.err << "--- executable\n" << aot.err);
    Result ldd = sh("ldd " + exe.string(), tmp);
    CHECK_MESSAGE(ldd.out.find("LLVM") == std::string::npos, ldd.out);
    CHECK_MESSAGE(ldd.out.find("antlr") == std::string::npos, ldd.out);
  }
  fs::current_path(cwd);
  fs::remove_all(tmp);
}

TEST_CASE("sglc build leaves the runtime's debug info out unless -g") {
  fs::path tmp = fs::temp_directory_path() / ("sgl_aot_debug_" + std::to_string(getpid()));
  fs::create_directories(tmp);
  const std::string src = std::string(SGL_SOURCE_DIR) + "/examples/hello.sgl";
  // Section names live in the ELF's section-name table: ".debug_info" is there only with it.
  auto has_debug = [](const fs::path& exe) { return test::read_file(exe).find(".debug_info") != std::string::npos; };
  Result plain = sh(std::string(SGLC_PATH) + " build " + src + " -o " + (tmp / "small").string(), tmp);
  REQUIRE_MESSAGE(plain.rc == 0, plain.err);
  Result debug = sh(std::string(SGLC_PATH) + " build -g " + src + " -o " + (tmp / "debug").string(), tmp);
  REQUIRE_MESSAGE(debug.rc == 0, debug.err);
  CHECK_FALSE(has_debug(tmp / "small"));
  CHECK(has_debug(tmp / "debug"));
  CHECK(fs::file_size(tmp / "small") * 4 < fs::file_size(tmp / "debug"));
  // Still runs and still names functions (symbols are kept).
  Result run = sh((tmp / "small").string() + " --model random:stories260K --max-tokens 4", tmp);
  CHECK_MESSAGE(run.rc == 0, run.err);
  Result nm = sh("nm " + (tmp / "small").string() + " | grep -c ' T '", tmp);
  CHECK(std::atoi(nm.out.c_str()) > 100);
  fs::remove_all(tmp);
}

TEST_CASE("sglc build reports compile errors like sglc check and writes nothing") {
  fs::path tmp = fs::temp_directory_path() / ("sgl_aot_err_" + std::to_string(getpid()));
  fs::create_directories(tmp);
  fs::path src = tmp / "bad.sgl";
  std::ofstream(src) << "fn main() {\n  print(nope)\n}\n";
  Result r = sh(std::string(SGLC_PATH) + " build " + src.string() + " -o " + (tmp / "bad").string(), tmp);
  CHECK(r.rc == 1);
  CHECK(r.err.find("bad.sgl:2:9: error: unknown name 'nope'") != std::string::npos);
  CHECK(!fs::exists(tmp / "bad"));
  fs::remove_all(tmp);
}
