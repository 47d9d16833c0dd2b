// The standard library: .sgl modules from stdlib/, embedded in the binary at build time and
// loaded by `import std.NAME`.
#pragma once

#include <string>
#include <vector>

namespace sgl {

struct EmbeddedModule {
  const char* name;    // "std.chat"
  const char* path;    // "std/chat.sgl", shown in diagnostics
  const char* source;  // the .sgl text
};

const std::vector<EmbeddedModule>& embedded_stdlib();

// The module named `dotted`, or null.
const EmbeddedModule* find_std_module(const std::string& dotted);

// "std.chat, std.react" for error messages.
std::string std_module_list();

}  // namespace sgl
