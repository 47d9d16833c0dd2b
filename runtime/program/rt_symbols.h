// Every rt.h entry point by name, for a JIT that publishes them to generated code (ORC's
// absoluteSymbols) without relying on the executable's dynamic symbol table. Referencing this
// table also keeps a static link from dropping any of them.
#pragma once

#include <span>

namespace sgl {

struct RtSymbol {
  const char* name;
  void* address;
};

std::span<const RtSymbol> rt_symbols();

}  // namespace sgl
