// Parser behaviour that is easy to get wrong: the newline rule, regex vs division,
// interpolation, escapes, doc comments and spans.
#include <doctest/doctest.h>

#include "ast_printer.h"
#include "test_util.h"

using namespace sgl;

namespace {

std::string ast_of(const std::string& body) {
  DiagnosticEngine diags;
  Compilation c = compile_source("p.sgl", "fn main() {\n" + body + "\n}\n", diags);
  if (!c.module) return "ERRORS:\n" + test::joined(test::describe(diags));
  std::ostringstream out;
  print_ast(*c.module, out);
  return out.str();
}

}  // namespace

TEST_CASE("a slash after an operand divides; elsewhere it starts a regex") {
  std::string a = ast_of("let a = 10 / 2 / 5");
  CHECK(a.find("(/ (/ (int 10 : int) (int 2 : int) : int) (int 5 : int) : int)") != std::string::npos);
  std::string r = ast_of("let ok = \"a/b\" ~ /a\\/b/");
  CHECK(r.find("(regex \"a\\\\/b\" : regex)") != std::string::npos);
  std::string c = ast_of("let k = /[/]x/");
  CHECK(c.find("(regex \"[/]x\" : regex)") != std::string::npos);
}

TEST_CASE("newlines end statements only where a statement can end") {
  // Two statements, not one juxtaposed append.
  std::string two = ast_of("let x = \"a\"\nx = \"b\"");
  CHECK(two.find("(= x (str \"b\" : str))") != std::string::npos);
  // Inside parentheses, and after an operator, a newline is just space.
  std::string cont = ast_of("let y = (1 +\n 2)\nlet z = 3 +\n 4");
  CHECK(cont.find("(let z (+ (int 3 : int) (int 4 : int) : int))") != std::string::npos);
  // else on its own line, and a brace on the next line.
  std::string e = ast_of("if true {\n}\nelse\n{\n\"x\"\n}");
  CHECK(e.find("(else") != std::string::npos);
}

TEST_CASE("interpolation parses expressions, including calls with string arguments") {
  std::string s = ast_of("let xs = [\"a\", \"b\"]\n\"items: {join(xs, \", \")} ({len(xs) + 1})\"");
  CHECK(s.find("(str \"items: \" {(call (name join) (name xs : list[str]) (str \", \" : str) : str)} \" (\" "
               "{(+ (call (name len) (name xs : list[str]) : int) (int 1 : int) : int)} \")\" : str)") != std::string::npos);
}

TEST_CASE("escapes decode; raw strings keep backslashes and braces") {
  std::string s = ast_of("\"tab\\tquote\\\" brace\\{ \\u{e9}\"\nr\"raw\\n{x}\"");
  CHECK(s.find("(str \"tab\\tquote\\\" brace{ \xc3\xa9\" : str)") != std::string::npos);
  CHECK(s.find("(raw-str \"raw\\\\n{x}\" : str)") != std::string::npos);
}

TEST_CASE("triple-quoted strings span lines") {
  std::string s = ast_of("\"\"\"line one\nline \"two\"\n\"\"\"");
  CHECK(s.find("(str \"line one\\nline \\\"two\\\"\\n\" : str)") != std::string::npos);
}

TEST_CASE("doc comments attach to the declaration below them") {
  DiagnosticEngine diags;
  Compilation c = compile_source("d.sgl", "/// Says hi.\n/// Twice.\nfn main() {}\n", diags);
  REQUIRE(c.ok);
  CHECK(c.module->decls[0]->doc == "Says hi.\nTwice.");
}

TEST_CASE("spans of declarations and expressions point at their text") {
  DiagnosticEngine diags;
  Compilation c = compile_source("s.sgl", "fn main() {\n  let value = 41 + 1\n}\n", diags);
  REQUIRE(c.ok);
  auto& fn = c.module->decls[0]->as<ast::FnDecl>();
  auto& let = fn.body.stmts[0]->as<ast::Let>();
  CHECK(c.file->text().substr(let.name_span.begin, let.name_span.end - let.name_span.begin) == "value");
  CHECK(c.file->text().substr(let.value->span.begin, let.value->span.end - let.value->span.begin) == "41 + 1");
}
