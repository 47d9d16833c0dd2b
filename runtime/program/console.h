// Streamed program text and print lines on one output (sglc run, AOT executables, the REPL):
// print lines always stand on lines of their own, whatever the stream left unfinished.
#pragma once

#include <ostream>
#include <string_view>

namespace sgl {

struct Console {
  std::ostream& out;
  bool at_line_start = true;
  void text(std::string_view s) {
    if (s.empty()) return;
    out << s;
    out.flush();
    at_line_start = s.back() == '\n';
  }
  void line(std::string_view s) {
    if (!at_line_start) out << '\n';
    out << s << '\n';
    out.flush();
    at_line_start = true;
  }
  // Ends an unfinished line (before a prompt or the end of the output).
  void end_line() {
    if (!at_line_start) text("\n");
  }
};

}  // namespace sgl
