// Runs every tests/sgl/run/*.sgl program through the whole compiler and the JIT on the scripted
// test backend, and checks what it printed against the expectations written in the file:
//   // expect: LINE                      the next line the program prints (in order)
//   // expect text: TEXT                 the final stream text (escapes: \n \t \\)
//   // expect runtime error@COL: MSG     the run fails with FILE:LINE:COL: runtime error: MSG
//   // expect runtime error@L:C: MSG     (line L instead of the comment's own line)
// and the scripted model's answers:
//   // gen NAME: TEXT                    gen NAME answers TEXT (several lines: one each, in order)
//   // gen after "SUFFIX": TEXT          a gen whose prompt ends with SUFFIX answers TEXT
//   // gen: TEXT                         answers for gens no rule matched, in order
//   // select NAME: CHOICE               select NAME picks CHOICE (default: the first choice)
//   // arg NAME=VALUE                    --arg NAME=VALUE
// On a failure the message names the file and the command that reproduces it.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "ir_test_util.h"
#include "jit/jit.h"
#include "run.h"
#include "scripted_backend.h"

namespace fs = std::filesystem;
using namespace sgl;

namespace {

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char c = s[++i];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct Spec {
  std::vector<std::string> prints;
  std::optional<std::string> text;
  std::optional<std::string> runtime_error;  // "LINE:COL: runtime error: MSG" (file prefix added)
  std::vector<std::pair<std::string, std::string>> gens;    // name, text
  std::vector<std::pair<std::string, std::string>> afters;  // suffix, text
  std::vector<std::string> queue;
  std::vector<std::pair<std::string, std::string>> selects;
  RunOptions options;
  std::vector<std::string> problems;  // malformed directives
};

// "NAME: ..." with NAME an identifier (so ordinary comments starting "// gen ..." are not rules).
bool is_name_colon(const std::string& s) {
  size_t c = s.find(": ");
  if (c == std::string::npos || c == 0) return false;
  for (size_t i = 0; i < c; ++i)
    if (!(std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) return false;
  return true;
}

Spec read_spec(const std::string& source) {
  Spec s;
  std::istringstream in(source);
  std::string line;
  int n = 0;
  auto rest_after = [](const std::string& l, const std::string& key) -> std::optional<std::string> {
    size_t p = l.find(key);
    if (p == std::string::npos) return std::nullopt;
    return l.substr(p + key.size());
  };
  while (std::getline(in, line)) {
    ++n;
    if (auto r = rest_after(line, "// expect: ")) {
      s.prints.push_back(*r);
    } else if (auto r2 = rest_after(line, "// expect text: ")) {
      s.text = unescape(*r2);
    } else if (auto r3 = rest_after(line, "// expect runtime error@")) {
      size_t colon = r3->find(": ");
      if (colon == std::string::npos) {
        s.problems.push_back("line " + std::to_string(n) + ": expected '@COL: message'");
        continue;
      }
      std::string pos = r3->substr(0, colon);
      if (pos.find(':') == std::string::npos) pos = std::to_string(n) + ":" + pos;
      s.runtime_error = pos + ": runtime error: " + r3->substr(colon + 2);
    } else if (auto r4 = rest_after(line, "// gen after \"")) {
      size_t q = r4->find("\": ");
      if (q == std::string::npos) {
        s.problems.push_back("line " + std::to_string(n) + ": expected '// gen after \"SUFFIX\": TEXT'");
        continue;
      }
      s.afters.push_back({unescape(r4->substr(0, q)), unescape(r4->substr(q + 3))});
    } else if (auto r5 = rest_after(line, "// gen: ")) {
      s.queue.push_back(unescape(*r5));
    } else if (auto r6 = rest_after(line, "// gen "); r6 && is_name_colon(*r6)) {
      size_t c = r6->find(": ");
      s.gens.push_back({r6->substr(0, c), unescape(r6->substr(c + 2))});
    } else if (auto r7 = rest_after(line, "// select "); r7 && is_name_colon(*r7)) {
      size_t c = r7->find(": ");
      s.selects.push_back({r7->substr(0, c), r7->substr(c + 2)});
    } else if (auto r8 = rest_after(line, "// arg ")) {
      size_t eq = r8->find('=');
      if (eq != std::string::npos) s.options.args.push_back({r8->substr(0, eq), r8->substr(eq + 1)});
    }
  }
  return s;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

void run_file(const fs::path& f) {
  std::string source = test::read_file(f);
  Spec spec = read_spec(source);
  std::string where = f.string() + " (reproduce: build/bin/compiler_sgl_run_test --subcase=" + f.filename().string() + ")";
  for (const std::string& p : spec.problems) FAIL_CHECK(where << ": " << p);

  DiagnosticEngine diags;
  FrontendOptions opts;
  opts.require_main = true;
  Compilation c = compile_file(f.string(), diags, opts);
  REQUIRE_MESSAGE(c.ok, where << " does not compile:\n" << test::joined(test::describe(diags)));
  PipelineOptions po;
  std::unique_ptr<ir::Module> m = compile_to_ir(*c.program, po);
  std::string error;
  auto p = jit::JitProgram::compile(*m, error);
  REQUIRE_MESSAGE(p, where << ": " << error);

  test::ScriptedBackend backend;
  std::map<std::string, int> count;
  for (auto& [name, text] : spec.gens) ++count[name];
  for (auto& [name, text] : spec.gens) backend.gen_named(name, text, count[name] == 1 ? -1 : 1);
  for (auto& [suffix, text] : spec.afters) backend.gen_after(suffix, text);
  for (auto& text : spec.queue) backend.gen_queue(text);
  for (auto& [name, choice] : spec.selects) backend.select_named(name, choice);

  // --json: print lines (and a runtime error) go to err, the variables and text to out.
  RunOptions o = spec.options;
  o.json = true;
  std::ostringstream out, err;
  int rc = run_module(p->module(), o, backend, out, err);
  std::vector<std::string> printed = lines_of(err.str());
  if (spec.runtime_error) {
    CHECK_MESSAGE(rc == 1, where << ": expected a runtime error, exit status " << rc);
    std::string want = f.string() + ":" + *spec.runtime_error;
    CHECK_MESSAGE((!printed.empty() && printed.back() == want), where << ": expected the runtime error\n  " << want
                                                                       << "\ngot:\n" << err.str());
    if (!printed.empty()) printed.pop_back();
  } else {
    CHECK_MESSAGE(rc == 0, where << ": exit status " << rc << "\n" << err.str());
  }
  std::string want_prints, got_prints;
  for (auto& l : spec.prints) want_prints += "  " + l + "\n";
  for (auto& l : printed) got_prints += "  " + l + "\n";
  CHECK_MESSAGE(want_prints == got_prints, where << ": printed lines differ\nexpected:\n" << want_prints << "got:\n" << got_prints);
  if (spec.text && rc == 0) {
    nlohmann::json j = nlohmann::json::parse(out.str(), nullptr, false);
    REQUIRE_MESSAGE(j.is_object(), where << ": --json output is not an object: " << out.str());
    CHECK_MESSAGE(j["text"] == *spec.text, where << ": stream text differs\nexpected: " << nlohmann::json(*spec.text).dump()
                                                  << "\ngot:      " << j["text"].dump());
  }
}

}  // namespace

TEST_CASE("every tests/sgl/run program prints what its expectations say") {
  auto files = test::files_with_ext(fs::path(SGL_SOURCE_DIR) / "tests/sgl/run", ".sgl");
  REQUIRE(!files.empty());
  fs::path cwd = fs::current_path();
  fs::current_path(SGL_SOURCE_DIR);  // runtime errors name the file as given: tests/sgl/run/X.sgl
  for (const fs::path& f : files) {
    SUBCASE(f.filename().string().c_str()) { run_file(fs::path("tests/sgl/run") / f.filename()); }
  }
  fs::current_path(cwd);
}

TEST_CASE("the runner fails on a wrong expectation (it can fail)") {
  Spec s = read_spec("fn main() {\n  print(1)  // expect: 2\n  x  // expect runtime error@5: boom\n}\n");
  REQUIRE(s.prints.size() == 1);
  CHECK(s.prints[0] == "2");
  REQUIRE(s.runtime_error);
  CHECK(*s.runtime_error == "3:5: runtime error: boom");
}
