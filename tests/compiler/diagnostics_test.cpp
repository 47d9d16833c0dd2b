#include "diagnostics.h"

#include <doctest/doctest.h>

#include <sstream>

using namespace sgl;

TEST_CASE("rendering: location, source line, caret under the span, notes") {
  SourceFile f("x.sgl", "let café = bad_name\n");
  DiagnosticEngine diags;
  Diagnostic& d = diags.error(&f, {12, 20}, "unknown name 'bad_name'");
  d.notes.push_back({&f, {4, 9}, "see here"});
  std::ostringstream out;
  diags.render(out, false);
  CHECK(out.str() ==
        "x.sgl:1:12: error: unknown name 'bad_name'\n"
        "let café = bad_name\n"
        "           ^~~~~~~~\n"
        "x.sgl:1:5: note: see here\n"
        "let café = bad_name\n"
        "    ^~~~\n");
}

TEST_CASE("tabs are kept in the caret line so it lines up") {
  SourceFile f("t.sgl", "\tx y\n");
  DiagnosticEngine diags;
  diags.warning(&f, {3, 4}, "w");
  std::ostringstream out;
  diags.render(out, false);
  CHECK(out.str() == "t.sgl:1:4: warning: w\n\tx y\n\t  ^\n");
  CHECK(diags.warning_count() == 1);
  CHECK_FALSE(diags.has_errors());
}

TEST_CASE("the error limit keeps the output bounded") {
  SourceFile f("l.sgl", "x\n");
  DiagnosticEngine diags;
  for (int i = 0; i < DiagnosticEngine::kErrorLimit + 7; ++i) diags.error(&f, {0, 1}, "e");
  CHECK(diags.error_count() == DiagnosticEngine::kErrorLimit + 7);
  CHECK(diags.diagnostics().size() == static_cast<size_t>(DiagnosticEngine::kErrorLimit));
  std::ostringstream out;
  diags.render(out, false);
  CHECK(out.str().find("note: 7 more errors not shown") != std::string::npos);
}
