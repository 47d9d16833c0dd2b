// Helpers for "generated-like" test programs: C functions that call rt.h the way compiled .sgl
// code will, a fake sgl_module around them, and a one-call run on the scripted backend.
#pragma once

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "backend.h"
#include "run.h"
#include "scripted_backend.h"
#include "sgl/rt.h"
#include "values.h"

namespace sgl::test {

inline const sgl_str* S(sgl_ctx* c, std::string_view s) { return sgl_str_new(c, s.data(), static_cast<int64_t>(s.size())); }
inline std::string V(const sgl_str* s) { return std::string(sgl::view(s)); }
inline void append(sgl_ctx* c, std::string_view s) { sgl_append(c, S(c, s)); }

// gen NAME with no options; returns the status, the text in *out.
inline int32_t gen(sgl_ctx* c, const char* name, const sgl_loc* loc, const sgl_str** out = nullptr,
                   const char* type = "s") {
  uint64_t bits = 0;
  int32_t st = sgl_gen(c, sgl_gen_opts_new(c, name), type, loc, &bits);
  if (out && st == SGL_OK) *out = reinterpret_cast<const sgl_str*>(bits);
  return st;
}

inline void print_str(sgl_ctx* c, std::string_view s) {
  sgl_print_begin(c);
  sgl_print_value(c, "s", reinterpret_cast<uint64_t>(S(c, s)));
  sgl_print_end(c);
}

inline sgl_module module(sgl_main_fn main, const std::vector<sgl_param>* params = nullptr, sgl_prefix_fn prefix = nullptr) {
  sgl_module m{};
  m.abi_version = SGL_RT_ABI_VERSION;
  m.source_file = "prog.sgl";
  m.num_params = params ? static_cast<int32_t>(params->size()) : 0;
  m.params = params ? params->data() : nullptr;
  m.main = main;
  m.prefix = prefix;
  return m;
}

struct RunResult {
  int rc;
  std::string out, err;
};

inline RunResult run(const sgl_module& m, Backend& b, RunOptions o = {}) {
  std::ostringstream out, err;
  int rc = run_module(m, o, b, out, err);
  return {rc, out.str(), err.str()};
}

}  // namespace sgl::test
