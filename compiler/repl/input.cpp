// Line readers (libedit on a terminal, plain lines otherwise) and the open-input rule.
#include "repl/input.h"

#include <editline/readline.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <iostream>
#include <vector>

namespace sgl::repl {

namespace {

class StreamReader : public LineReader {
 public:
  explicit StreamReader(std::istream& in) : in_(in) {}
  bool read(const std::string&, std::string& line) override {
    if (!std::getline(in_, line)) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }

 private:
  std::istream& in_;
};

// libedit through its readline-compatible interface: editing keys, history (kept between
// sessions in ~/.sglc_history).
class EditlineReader : public LineReader {
 public:
  EditlineReader() {
    using_history();
    if (const char* home = std::getenv("HOME")) {
      history_file_ = std::string(home) + "/.sglc_history";
      read_history(history_file_.c_str());
    }
  }
  ~EditlineReader() override {
    if (!history_file_.empty()) write_history(history_file_.c_str());
  }
  bool read(const std::string& prompt, std::string& line) override {
    char* s = readline(prompt.c_str());
    if (!s) return false;
    line = s;
    std::free(s);
    return true;
  }
  void remember(const std::string& input) override {
    if (input.find_first_not_of(" \t\n") != std::string::npos) add_history(input.c_str());
  }
  bool interactive() const override { return true; }

 private:
  std::string history_file_;
};

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

std::unique_ptr<LineReader> stream_reader(std::istream& in) { return std::make_unique<StreamReader>(in); }

std::unique_ptr<LineReader> stdin_reader() {
  if (isatty(STDIN_FILENO)) return std::make_unique<EditlineReader>();
  return stream_reader(std::cin);
}

bool input_complete(const std::string& t) {
  enum Mode { Code, Str, Triple, Raw, Comment };
  struct Frame {
    Mode mode;
    std::vector<char> open;  // Code: brackets open in this frame
  };
  std::vector<Frame> st{{Code, {}}};
  bool operand = false;  // the last token could end an operand: a '/' after it divides
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    Frame& f = st.back();
    switch (f.mode) {
      case Code:
        if (c == '\n' && st.size() > 1 && st[st.size() - 2].mode == Str) {
          st.pop_back();  // an interpolation inside a "..." string ends with its line
          st.pop_back();
        } else if (t.compare(i, 2, "//") == 0) {
          size_t nl = t.find('\n', i);
          i = (nl == std::string::npos ? t.size() : nl) - 1;
        } else if (t.compare(i, 2, "/*") == 0) {
          st.push_back({Comment, {}});
          ++i;
        } else if (t.compare(i, 3, "\"\"\"") == 0) {
          st.push_back({Triple, {}});
          i += 2;
        } else if (c == '"') {
          st.push_back({Str, {}});
        } else if (c == 'r' && i + 1 < t.size() && t[i + 1] == '"' && (i == 0 || !ident_char(t[i - 1]))) {
          st.push_back({Raw, {}});
          ++i;
        } else if (c == '/' && !operand) {
          // A regex literal: to its closing '/' on this line ('\' escapes; '/' inside [...] too).
          bool cls = false;
          for (++i; i < t.size() && t[i] != '\n'; ++i) {
            if (t[i] == '\\') ++i;
            else if (t[i] == '[') cls = true;
            else if (t[i] == ']') cls = false;
            else if (t[i] == '/' && !cls) break;
          }
          if (i < t.size() && t[i] == '\n') --i;
          operand = true;
        } else if (c == '(' || c == '[' || c == '{') {
          f.open.push_back(c);
          operand = false;
        } else if (c == ')' || c == ']' || c == '}') {
          if (!f.open.empty()) f.open.pop_back();
          else if (c == '}' && st.size() > 1) st.pop_back();  // the end of an interpolation
          operand = true;
        } else if (ident_char(c)) {
          while (i + 1 < t.size() && ident_char(t[i + 1])) ++i;
          operand = true;
        } else if (!std::isspace(static_cast<unsigned char>(c))) {
          operand = false;
        }
        break;
      case Str:
        if (c == '\\') ++i;
        else if (c == '"' || c == '\n') st.pop_back(), operand = true;
        else if (c == '{') st.push_back({Code, {}});
        break;
      case Triple:
        if (c == '\\') ++i;
        else if (t.compare(i, 3, "\"\"\"") == 0) st.pop_back(), i += 2, operand = true;
        else if (c == '{') st.push_back({Code, {}});
        break;
      case Raw:
        if (c == '"') st.pop_back(), operand = true;
        break;
      case Comment:
        if (t.compare(i, 2, "*/") == 0) st.pop_back(), ++i;
        break;
    }
  }
  // A "..." string (or its interpolation) still open at the end ends with the line.
  while (st.size() > 1 && (st.back().mode == Str || (st.back().mode == Code && st[st.size() - 2].mode == Str))) {
    st.pop_back();
  }
  return st.size() == 1 && st[0].open.empty();
}

}  // namespace sgl::repl
