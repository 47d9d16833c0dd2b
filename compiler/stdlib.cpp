#include "stdlib.h"

namespace sgl {

const EmbeddedModule* find_std_module(const std::string& dotted) {
  for (const EmbeddedModule& m : embedded_stdlib())
    if (dotted == m.name) return &m;
  return nullptr;
}

std::string std_module_list() {
  std::string out;
  for (const EmbeddedModule& m : embedded_stdlib()) {
    if (!out.empty()) out += ", ";
    out += m.name;
  }
  return out;
}

}  // namespace sgl
