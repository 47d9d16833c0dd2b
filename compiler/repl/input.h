// Reading the REPL's input: lines from libedit (line editing and history) when stdin is a
// terminal, plain lines otherwise (scripts and tests), and the rule that keeps an input open over
// several lines while a bracket, a triple-quoted or raw string, or a block comment is open.
#pragma once

#include <istream>
#include <memory>
#include <string>

namespace sgl::repl {

class LineReader {
 public:
  virtual ~LineReader() = default;
  // The next line without its newline; false at the end of the input. `prompt` is shown only by
  // interactive readers.
  virtual bool read(const std::string& prompt, std::string& line) = 0;
  // Remembers a finished input for history (interactive readers only).
  virtual void remember(const std::string& /*input*/) {}
  virtual bool interactive() const { return false; }
};

// Lines of `in`, no prompts.
std::unique_ptr<LineReader> stream_reader(std::istream& in);
// libedit's readline on a terminal (history in ~/.sglc_history), stream_reader(std::cin) otherwise.
std::unique_ptr<LineReader> stdin_reader();

// Whether `text` is a whole input: false while a (, [ or { is open, or a """ string, a raw
// r"..." string or a /* comment has not ended. Brackets inside strings, comments and regex
// literals do not count; a "..." string ends at the end of its line.
bool input_complete(const std::string& text);

}  // namespace sgl::repl
