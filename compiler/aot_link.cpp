// See aot_link.h. The link line comes from CMake (sgl_aot_link.txt) rather than being spelled out
// here, so that it always matches how the runtime was built (CUDA or not, Debian's library paths).
#include "aot_link.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace sgl {
namespace {

namespace fs = std::filesystem;

std::string self_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

std::string find_link_file() {
  if (const char* env = std::getenv("SGL_AOT_LINK_FILE"); env && *env) return env;
  std::string dir = self_dir();
  if (!dir.empty() && fs::exists(dir + "/../lib/sgl_aot_link.txt")) return dir + "/../lib/sgl_aot_link.txt";
  if (fs::exists(SGL_AOT_LINK_FILE_DEFAULT)) return SGL_AOT_LINK_FILE_DEFAULT;
  return "";
}

}  // namespace

std::vector<std::string> aot_link_inputs(std::ostream& err) {
  std::string file = find_link_file();
  std::vector<std::string> inputs;
  if (file.empty()) {
    err << "sglc build: error: cannot find the runtime's link file sgl_aot_link.txt (looked beside sglc in ../lib "
           "and in " << SGL_AOT_LINK_FILE_DEFAULT << "); set SGL_AOT_LINK_FILE\n";
    return inputs;
  }
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) inputs.push_back(line);
  for (const std::string& i : inputs) {
    if (i[0] != '-' && !fs::exists(i)) {
      err << "sglc build: error: the runtime library " << i << " (listed in " << file
          << ") does not exist; build the sgl_aot_runtime target\n";
      return {};
    }
  }
  return inputs;
}

int link_aot_executable(const std::string& object, const std::string& output, std::ostream& err,
                        bool keep_debug_info) {
  std::vector<std::string> inputs = aot_link_inputs(err);
  if (inputs.empty()) return 1;
  const char* cxx_env = std::getenv("CXX");
  std::string cxx = cxx_env && *cxx_env ? cxx_env : SGL_AOT_LINKER;
  std::vector<std::string> args = {cxx, object};
  args.insert(args.end(), inputs.begin(), inputs.end());
  if (!keep_debug_info) args.push_back("-Wl,--strip-debug");
  args.push_back("-o");
  args.push_back(output);

  // The linker's output goes to a temporary file so that a failure can be reported in one piece.
  std::string log = (fs::temp_directory_path() / ("sglc_link_" + std::to_string(getpid()) + ".log")).string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, cxx.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    err << "sglc build: error: cannot run the linker '" << cxx << "': " << std::strerror(rc)
        << " (install build-essential, or set CXX)\n";
    fs::remove(log);
    return 1;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  fs::remove(log);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    err << "sglc build: error: linking " << output << " failed (" << cxx << " exited with "
        << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << "):\n" << text.str();
    return 1;
  }
  return 0;
}

}  // namespace sgl
