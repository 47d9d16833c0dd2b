// The REPL loop. It runs inside the session's root program instance (a fiber of the executor), so
// a statement's gen/select suspend it like any program while the backend works; reading the next
// line blocks the whole session, which is what an interactive session wants.
#include "repl/repl.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>

#include "backend.h"
#include "chat_template.h"
#include "console.h"
#include "executor.h"
#include "frontend.h"
#include "instance.h"
#include "ir/ir_printer.h"
#include "repl/repl_compiler.h"
#include "repl/repl_jit.h"
#include "values.h"

namespace sgl::repl {

const char* const kModelNeeded =
    "a model is needed to run a program: pass --model PATH (a llama2.c .bin, a .gguf file, a Hugging Face folder, "
    "or random:LIKE for random weights)";

namespace {

class NoModelBackend : public Backend {
 public:
  void submit(Request* r) override { pending_.push_back(r); }
  void step(std::vector<Request*>& done) override {
    for (Request* r : pending_) {
      r->error = kModelNeeded;
      done.push_back(r);
    }
    pending_.clear();
  }

 private:
  std::vector<Request*> pending_;
};

const char* const kHelp =
    "Type .sgl code: declarations (fn, schema, enum, import) are kept for the session; statements run at once\n"
    "on the session's stream, and their variables stay readable. An input goes on over several lines while a\n"
    "bracket or a \"\"\" string is open.\n"
    "  :help        this text\n"
    "  :text        the session's stream so far\n"
    "  :vars        the session's variables (name: type = value)\n"
    "  :ir          the SGL IR of the last statement input\n"
    "  :load FILE   add the declarations of FILE (its main is not run; call main() to run it)\n"
    "  :reset       start a new session (no declarations, no variables, an empty stream)\n"
    "  :quit        leave (so does the end of the input)\n";

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

enum class After { Continue, Reset, Quit };

bool word_at(const std::string& s, size_t i, const char* w) {
  const size_t n = std::strlen(w);
  if (s.compare(i, n, w) != 0) return false;
  return i + n == s.size() || !(std::isalnum(static_cast<unsigned char>(s[i + n])) || s[i + n] == '_');
}

// A complete input that starts with `if` and ends with the `}` of a block: an `else` may follow.
bool ends_if_block(const std::string& text) {
  const std::string t = trim(text);
  return !t.empty() && t.back() == '}' && word_at(t, 0, "if") && input_complete(text);
}

bool starts_with_else(const std::string& line) {
  const std::string t = trim(line);
  return word_at(t, 0, "else");
}

class Session {
 public:
  Session(LineReader& in, const ReplOptions& o, std::ostream& out, std::ostream& err, ReplJit& jit, Console& console)
      : in_(in), o_(o), out_(out), err_(err), jit_(jit), console_(console) {}

  // The body of the session's root instance.
  After run(sgl_ctx* c) {
    for (;;) {
      console_.end_line();
      std::string line;
      if (pending_) {
        line = std::move(*pending_);
        pending_.reset();
      } else if (!in_.read(prompt(false), line)) {
        return After::Quit;
      }
      std::string t = trim(line);
      if (t.empty()) continue;
      if (t[0] == ':') {
        in_.remember(t);
        After a = command(c, t);
        if (a != After::Continue) return a;
        continue;
      }
      std::string text = line;
      std::string more;
      while (!input_complete(text) && in_.read(prompt(true), more)) text += "\n" + more;
      // An `if` whose block just closed may go on with `else` on the next line: read that line
      // first (an empty line or anything else ends the statement and is handled next).
      while (ends_if_block(text) && in_.read(prompt(true), more)) {
        if (!starts_with_else(more)) {
          pending_ = more;
          break;
        }
        text += "\n" + more;
        while (!input_complete(text) && in_.read(prompt(true), more)) text += "\n" + more;
      }
      in_.remember(text);
      std::string path = "<input " + std::to_string(++inputs_) + ">";
      if (classify(text) == InputKind::Declarations) {
        if (compiler_.add_declarations(path, text, err_, o_.color)) last_ir_.clear();
      } else {
        statements(c, path, text);
      }
    }
  }

 private:
  std::optional<std::string> pending_;  // a line read ahead (after an `if` block), not yet handled

  std::string prompt(bool continuation) const {
    if (!in_.interactive()) return "";
    return continuation ? "...> " : "sgl> ";
  }

  void statements(sgl_ctx* c, const std::string& path, const std::string& text) {
    std::unique_ptr<StatementPlan> plan = compiler_.compile_statements(path, text, err_, o_.color);
    if (!plan) return;
    std::ostringstream ir;
    ir::print_module(*plan->module, ir);
    last_ir_ = ir.str();
    std::string error;
    const sgl_module* m = nullptr;
    run_with_large_stack([&] { m = jit_.add(*plan->module, path, error); });
    if (!m) {
      err_ << "sglc repl: " << error << "\n";
      return;
    }
    std::vector<uint64_t> env(plan->vars.size(), 0);
    for (size_t i = 0; i < plan->old_count; ++i) env[i] = plan->vars[i].bits;
    uint64_t args[1] = {reinterpret_cast<uint64_t>(env.data())};
    int32_t status = m->main(c, args);
    if (status < 0) {
      // The input stops; the session goes on. Its variables keep their values from before it,
      // what it wrote stays in the stream, and a turn it left open is closed.
      console_.end_line();
      err_ << (c->error.empty() ? "runtime error (status " + std::to_string(status) + ")" : c->error) << "\n";
      err_.flush();
      c->error.clear();
      c->status = SGL_OK;
      c->print_line.clear();
      c->print_started = false;
      if (c->stream.open_role >= 0) sgl_role_end(c, c->stream.open_role);
      return;
    }
    compiler_.commit(*plan, env);
  }

  After command(sgl_ctx* c, const std::string& t) {
    size_t sp = t.find_first_of(" \t");
    std::string name = t.substr(0, sp);
    std::string arg = sp == std::string::npos ? "" : trim(t.substr(sp));
    if (name == ":quit" || name == ":q") return After::Quit;
    if (name == ":reset") {
      out_ << "(new session)\n";
      return After::Reset;
    }
    if (name == ":help") {
      out_ << kHelp;
    } else if (name == ":text") {
      std::string s = c->stream.text.str();
      out_ << (s.empty() ? "(the stream is empty)\n" : s);
      if (!s.empty() && s.back() != '\n') out_ << "\n";
    } else if (name == ":vars") {
      if (compiler_.vars().empty()) out_ << "(no variables)\n";
      for (const SessionVar& v : compiler_.vars()) {
        std::string value;
        append_json(value, intern_type(v.desc), v.bits);
        out_ << v.name << ": " << v.type_text << " = " << value << "\n";
      }
    } else if (name == ":ir") {
      out_ << (last_ir_.empty() ? "(no IR: the last input was not a statement input that compiled)\n" : last_ir_);
    } else if (name == ":load") {
      load(arg);
    } else {
      err_ << "error: unknown command '" << name << "'; :help lists the commands\n";
    }
    out_.flush();
    return After::Continue;
  }

  void load(const std::string& path) {
    if (path.empty()) {
      err_ << "error: :load needs a file name, as in :load prog.sgl\n";
      return;
    }
    std::ifstream f(path, std::ios::binary);
    if (!f) {
      err_ << "error: cannot read " << path << ": " << std::strerror(errno) << "\n";
      return;
    }
    std::ostringstream ss;
    ss << f.rdbuf();
    if (compiler_.add_declarations(path, ss.str(), err_, o_.color)) {
      out_ << "loaded " << path << "\n";
      last_ir_.clear();
    }
  }

  LineReader& in_;
  const ReplOptions& o_;
  std::ostream& out_;
  std::ostream& err_;
  ReplJit& jit_;
  Console& console_;
  SessionCompiler compiler_;
  int inputs_ = 0;
  std::string last_ir_;
};

}  // namespace

std::unique_ptr<Backend> no_model_backend() { return std::make_unique<NoModelBackend>(); }

int run_repl(LineReader& in, Backend& backend, const ReplOptions& o, std::ostream& out, std::ostream& err) {
  ExecOptions eo;
  eo.defaults.temperature = o.run.temperature.value_or(0.0);
  eo.defaults.max_tokens = o.run.max_tokens.value_or(128);
  eo.defaults.seed = o.run.seed.value_or(0);
  if (!o.run.chat_template.empty()) {
    eo.chat_template = find_chat_template(o.run.chat_template);
    if (!eo.chat_template) {
      err << "error: unknown chat template '" << o.run.chat_template << "' (" << chat_template_names() << ")\n";
      return 2;
    }
  } else {
    eo.chat_template = detect_chat_template(backend.chat_template_source(), [&](std::string_view t) {
                         return backend.has_special_token(t);
                       }).tmpl;
  }
  std::string error;
  std::unique_ptr<ReplJit> jit = ReplJit::create(error);
  if (!jit) {
    err << "sglc repl: " << error << "\n";
    return 1;
  }
  if (!o.has_model) err << "note: no --model: code that calls the model stops with \"" << kModelNeeded << "\"\n";
  if (in.interactive()) out << "sglc repl: .sgl code runs as you type it; :help lists the commands, :quit leaves\n";

  Console console{out};
  for (uint64_t session = 0;; ++session) {
    After after = After::Quit;
    {
      // Each session is one root instance on a fresh executor; its arena holds every value the
      // session's variables point to, so the session's code must outlive it.
      Session s(in, o, out, err, *jit, console);
      Executor ex(backend, eo);
      TreeHooks hooks;
      hooks.on_root_text = [&](std::string_view t) { console.text(t); };
      hooks.on_print = [&](std::string_view t) { console.line(t); };
      ex.start_root(
          [&](sgl_ctx* c) -> int32_t {
            after = s.run(c);
            return SGL_OK;
          },
          std::move(hooks), mix_seed(o.run.seed.value_or(0), session));
      try {
        ex.run();
      } catch (const std::exception& e) {
        err << "sglc repl: " << e.what() << "\n";
        return 1;
      }
    }
    jit->clear();
    console.end_line();
    if (after != After::Reset) return 0;
  }
}

}  // namespace sgl::repl
