// Turns an object file emitted by the code generator into a standalone executable by linking it
// with the AOT main and the runtime's static libraries (the list CMake wrote to
// lib/sgl_aot_link.txt). Runs the system C++ compiler driver as the linker, without a shell.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace sgl {

// The link inputs (archives, libraries, flags) in order, or an empty list with a message on `err`
// when the runtime's link file cannot be found. Looks beside the running sglc first
// (<bin>/../lib/sgl_aot_link.txt), then in the build tree sglc was built in; SGL_AOT_LINK_FILE
// overrides both.
std::vector<std::string> aot_link_inputs(std::ostream& err);

// Links `object` into the executable `output`. Returns 0, or 1 after writing
// "sglc build: error: ..." (with the linker's own output) to `err`. The linker is $CXX if set,
// else the C++ compiler sglc was built with.
// Debug info of the runtime archives is left out (-Wl,--strip-debug: ~55 MB -> ~4 MB) unless
// keep_debug_info; symbols stay, so backtraces still name functions.
int link_aot_executable(const std::string& object, const std::string& output, std::ostream& err,
                        bool keep_debug_info = false);

}  // namespace sgl
