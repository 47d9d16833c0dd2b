// Compile-time benchmark: for every example, the time from source text to callable native code
// (parse + check, SGL IR and its passes, LLVM codegen, O2, ORC JIT link and the lookup of
// sgl_program), as the median of several runs. Goal: at most 50 ms per example.
//   build/bin/sgl-compile-bench [--runs N] [FILE.sgl ...]   (default: examples/*.sgl)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "frontend.h"
#include "jit/jit.h"
#include "pipeline.h"

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

struct Sample {
  double front = 0, ir = 0, codegen = 0, opt = 0, jit = 0, total = 0;
};

bool compile_once(const std::string& path, Sample& s) {
  auto t0 = Clock::now();
  sgl::DiagnosticEngine diags;
  sgl::FrontendOptions fo;
  fo.require_main = true;
  sgl::Compilation c = sgl::compile_file(path, diags, fo);
  if (!c.ok) {
    std::fprintf(stderr, "%s does not compile\n", path.c_str());
    return false;
  }
  auto t1 = Clock::now();
  sgl::PipelineOptions po;
  auto m = sgl::compile_to_ir(*c.program, po);
  auto t2 = Clock::now();
  std::string error;
  sgl::jit::JitTimes times;
  auto p = sgl::jit::JitProgram::compile(*m, error, &times);
  auto t3 = Clock::now();
  if (!p || !p->module().main) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), error.c_str());
    return false;
  }
  s = {ms(t0, t1), ms(t1, t2), times.codegen_ms, times.optimize_ms, times.jit_ms, ms(t0, t3)};
  return true;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 7;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else files.push_back(argv[i]);
  }
  if (files.empty()) {
    for (auto& e : fs::directory_iterator("examples"))
      if (e.path().extension() == ".sgl") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
  }
  if (files.empty()) {
    std::fprintf(stderr, "no examples found: run from the source tree's root or name files\n");
    return 2;
  }
  std::printf("%-34s %8s %8s %8s %8s %8s %9s\n", "program (median of runs, ms)", "front", "ir", "codegen", "O2", "jit", "total");
  int over = 0;
  for (const std::string& f : files) {
    std::vector<double> front, ir, cg, opt, jit, total;
    Sample s;
    if (!compile_once(f, s)) return 1;  // warm-up (first use initialises LLVM's targets)
    for (int r = 0; r < runs; ++r) {
      if (!compile_once(f, s)) return 1;
      front.push_back(s.front);
      ir.push_back(s.ir);
      cg.push_back(s.codegen);
      opt.push_back(s.opt);
      jit.push_back(s.jit);
      total.push_back(s.total);
    }
    double t = median(total);
    over += t > 50.0;
    std::printf("%-34s %8.2f %8.2f %8.2f %8.2f %8.2f %9.2f\n", fs::path(f).filename().string().c_str(), median(front),
                median(ir), median(cg), median(opt), median(jit), t);
  }
  std::printf("%d of %zu programs over the 50 ms goal\n", over, files.size());
  return 0;
}
