// Ahead-of-time output: a lowered SGL IR module as a native object file for the host, which
// `sglc build` links with the runtime (no LLVM at run time). The object defines `sgl_program`
// and refers only to rt.h functions (and the C library's memcpy/memmove/memset).
#pragma once

#include <string>

#include "ir/ir.h"

namespace sgl::codegen {

// Writes the O2-optimised object code for `m` to `path`. Returns false with `error` set when the
// host has no LLVM target or the file cannot be written.
bool emit_object_file(const ir::Module& m, const std::string& path, std::string& error);

}  // namespace sgl::codegen
