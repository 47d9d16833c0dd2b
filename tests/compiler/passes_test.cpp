// The IR passes one by one: fold constant text, hoist main's constant prefix, lower fork to
// begin/start/join with a capture env, lower typed gen to a regex or JSON schema.
#include <doctest/doctest.h>

#include "ir_test_util.h"
#include "passes/fold_text.h"
#include "passes/hoist_prefix.h"
#include "passes/lower_constraints.h"
#include "passes/lower_fork.h"

using namespace sgl;
using test::has;

namespace {

std::string fn_text(const ir::Module& m, const std::string& name) {
  std::ostringstream out;
  REQUIRE(m.find(name));
  ir::print_function(m, *m.find(name), out);
  return out.str();
}

}  // namespace

TEST_CASE("fold-text merges constant appends, concat runs and interpolated constants") {
  auto r = test::lower_text("fn main(x: str) {\n  \"a\" \"b\" x \"c{1}d{true}\" + x\n  \"e\" \"f\"\n}\n", false);
  passes::fold_text(*r.m);
  std::string t = fn_text(*r.m, "main");
  CHECK(has(t, "const.str \"ab\""));
  CHECK(has(t, "const.str \"c1dtrue\""));
  CHECK(has(t, "const.str \"ef\""));
  CHECK(!has(t, "const.str \"a\" "));
  CHECK(!has(t, "to_str"));
  CHECK(ir::verify(*r.m, ir::Stage::High).empty());
}

TEST_CASE("fold-text does not merge appends across a stream operation") {
  auto r = test::lower_text("fn main() {\n  \"a\" gen x \"b\"\n  \"c\"\n}\n", false);
  passes::fold_text(*r.m);
  std::string t = fn_text(*r.m, "main");
  CHECK(has(t, "const.str \"a\""));
  CHECK(has(t, "const.str \"bc\""));
}

TEST_CASE("hoist-prefix moves main's leading constant turns into a prefix function") {
  auto r = test::lower_text("fn main(q: str) {\n  system \"S\"\n  user \"U: \" q\n}\n", false);
  passes::fold_text(*r.m);
  passes::hoist_prefix(*r.m);
  REQUIRE(r.m->prefix == "main.prefix");
  std::string p = fn_text(*r.m, "main.prefix");
  CHECK(has(p, "role.begin system\n  %0 = const.str \"S\" : str\n  append %0\n  role.end system\n  role.begin user\n"
               "  %1 = const.str \"U: \" : str\n  append %1\n  ret\n"));
  std::string t = fn_text(*r.m, "main");
  CHECK(has(t, "call main.prefix()"));
  CHECK(!has(t, "role.begin system"));
  CHECK(ir::verify(*r.m, ir::Stage::High).empty());
}

TEST_CASE("hoist-prefix leaves main alone when it starts with something dynamic") {
  auto r = test::lower_text("fn main(q: str) {\n  user q\n  \"constant\"\n}\n", false);
  passes::fold_text(*r.m);
  passes::hoist_prefix(*r.m);
  CHECK(r.m->prefix.empty());
  auto r2 = test::lower_text("fn main() {\n  print(\"x\")\n  user \"late\"\n}\n", false);
  passes::hoist_prefix(*r2.m);
  CHECK(r2.m->prefix.empty());
}

TEST_CASE("lower-fork turns fork into begin, a start loop over the items, and join; captures travel in the env") {
  auto r = test::lower_text(
      "fn main(topic: str) {\n  let n = 2\n  let xs = fork c in [\"a\", \"b\"] { \"{topic} {c} {n}\" gen y }\n  print(xs.y)\n}\n", false);
  std::string before = fn_text(*r.m, "main");
  CHECK(has(before, " = fork %"));
  passes::lower_forks(*r.m);
  std::string t = fn_text(*r.m, "main");
  CHECK(!has(t, " = fork %"));
  CHECK(has(t, "fork.begin"));
  CHECK(has(t, "env.new 2 : env"));
  CHECK(has(t, "fork.start %"));
  CHECK(has(t, "fork.join"));
  std::string b = fn_text(*r.m, "main.fork0");
  CHECK(has(b, "branch fn main.fork0(%0 env: env, %1 index: int, %2 item: str)"));
  CHECK(has(b, "env.load %0[0] : str"));
  CHECK(has(b, "env.load %0[1] : int"));
  CHECK(ir::verify(*r.m, ir::Stage::High).empty());
}

TEST_CASE("nested forks capture through each level") {
  auto r = test::lower_text("fn main(q: str) {\n  let a = fork 2 {\n    let b = fork 2 { q gen z }\n    gen y\n  }\n  print(a.y)\n}\n", true);
  CHECK(has(fn_text(*r.m, "main.fork1"), "env.load %0[0] : str"));
  CHECK(has(fn_text(*r.m, "main.fork0"), "fork.start %"));
}

TEST_CASE("typed gen lowers to one constraint form") {
  auto r = test::lower_text(
      "schema P { name: str, age?: int, tags: list[str], mood: enum(\"a.b\", \"c\") }\n"
      "fn main() {\n  gen n: int\n  gen f: float\n  gen b: bool\n  gen e: enum(\"x\", \"y|z\")\n  gen p: P\n  gen l: list[int]\n  gen s: str\n}\n",
      false);
  passes::lower_constraints(*r.m);
  std::string t = fn_text(*r.m, "main");
  CHECK(has(t, "const.str \"-?(0|[1-9][0-9]*)\" : str\n  %"));
  CHECK(has(t, "gen \"n\" () regex %"));
  CHECK(has(t, ": int !3:3"));
  CHECK(has(t, "const.str \"(true|false)\""));
  CHECK(has(t, "const.str \"(x|y\\\\|z)\""));
  CHECK(has(t, "const.str \"{\\\"type\\\":\\\"array\\\",\\\"items\\\":{\\\"type\\\":\\\"integer\\\"}}\""));
  CHECK(has(t, "gen \"s\" () : str"));
  ir::DataType p;
  p.kind = ir::DataType::Kind::Schema;
  p.schema = "P";
  auto c = passes::constraint_for(*r.m, p);
  CHECK(c.kind == ir::ConstraintKind::Json);
  CHECK(c.spec ==
        "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\"},"
        "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},\"mood\":{\"enum\":[\"a.b\",\"c\"]}},"
        "\"required\":[\"name\",\"tags\",\"mood\"],\"additionalProperties\":false}");
  CHECK(ir::verify(*r.m, ir::Stage::Lowered).empty());
}

TEST_CASE("a recursive schema refers to itself through $defs") {
  auto r = test::lower_text("schema Node { label: str, kids: list[Node] }\nfn main() {\n  gen t: Node\n}\n", false);
  ir::DataType n;
  n.kind = ir::DataType::Kind::Schema;
  n.schema = "Node";
  auto c = passes::constraint_for(*r.m, n);
  CHECK(c.spec ==
        "{\"$ref\":\"#/$defs/Node\",\"$defs\":{\"Node\":{\"type\":\"object\",\"properties\":{\"label\":{\"type\":\"string\"},"
        "\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/Node\"}}},\"required\":[\"label\",\"kids\"],"
        "\"additionalProperties\":false}}}");
}

TEST_CASE("the pipeline dumps the IR after every step (SGL_DEBUG=2) and times them (SGL_TIME_PASSES=1)") {
  DiagnosticEngine diags;
  FrontendOptions opts;
  opts.require_main = true;
  Compilation c = compile_source("t.sgl", "fn main() {\n  user \"hi\"\n}\n", diags, opts);
  REQUIRE(c.ok);
  std::ostringstream log;
  PipelineOptions po;
  po.dump_ir = true;
  po.time_passes = true;
  po.log = &log;
  compile_to_ir(*c.program, po);
  std::string t = log.str();
  const char* steps[] = {"lower", "fold-text", "hoist-prefix", "lower-fork", "lower-constraints"};
  size_t at = 0;
  for (const char* s : steps) {
    size_t p = t.find(std::string(";; ---- IR after ") + s + "\n; sgl ir: t.sgl\n", at);
    CHECK_MESSAGE(p != std::string::npos, s);
    CHECK(t.find(std::string("sgl pass ") + s, at) != std::string::npos);
    if (p != std::string::npos) at = p;
  }
  std::ostringstream quiet;
  PipelineOptions none;
  none.log = &quiet;
  compile_to_ir(*c.program, none);
  CHECK(quiet.str().empty());
}

TEST_CASE("fold-text flattens a chain of + into one concat") {
  auto r = test::lower_text("fn main(a: str, b: int) {\n  print(\"x\" + a + \"y\" + \"z\" + b)\n}\n", false);
  passes::fold_text(*r.m);
  std::string t = fn_text(*r.m, "main");
  size_t n = 0;
  for (size_t p = t.find(" = concat "); p != std::string::npos; p = t.find(" = concat ", p + 1)) ++n;
  CHECK(n == 1);
  CHECK(has(t, "const.str \"yz\""));
  CHECK(ir::verify(*r.m, ir::Stage::High).empty());
}
