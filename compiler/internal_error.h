// Internal errors: our bugs, never the .sgl author's. They are kept apart from user diagnostics
// (diagnostics.h): they carry no source position and say plainly that sglc is at fault.
#pragma once

#include <stdexcept>
#include <string>

namespace sgl {

class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& what)
      : std::logic_error("internal compiler error (a bug in sglc, please report it): " + what) {}
};

[[noreturn]] inline void internal_error(const std::string& what) { throw InternalError(what); }

}  // namespace sgl
