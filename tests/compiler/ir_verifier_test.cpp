// The IR verifier rejects malformed IR with a clear internal message (and accepts what lowering
// produces): blocks without terminators, undefined or non-dominating values, wrong operand kinds,
// missing callees, unlowered forks at codegen, failing ops without a location.
#include <doctest/doctest.h>

#include "internal_error.h"
#include "ir/ir_verifier.h"
#include "ir_test_util.h"

using namespace sgl::ir;
namespace test = sgl::test;

namespace {

// fn f() { entry: ... } with the given instructions; values are created for results.
Module one_fn(std::vector<Inst> insts, std::vector<Type> values = {}) {
  Module m;
  m.files = {"t.sgl"};
  auto f = std::make_unique<Function>();
  f->name = "f";
  f->value_types = std::move(values);
  f->add_block("entry");
  f->blocks[0].insts = std::move(insts);
  m.functions.push_back(std::move(f));
  return m;
}

Inst inst(Op op, Type t = Type::void_(), std::vector<int> args = {}, int result = -1) {
  Inst in;
  in.op = op;
  in.type = std::move(t);
  in.args = std::move(args);
  in.result = result;
  return in;
}

std::string errors_of(const Module& m, Stage s = Stage::High) {
  std::string out;
  for (const std::string& e : verify(m, s)) out += e + "\n";
  return out;
}

}  // namespace

TEST_CASE("well-formed IR from lowering verifies at both stages") {
  auto r = test::lower_text("fn main(n: int = 2) {\n  let xs = fork n { gen a }\n  print(xs.a, 7 / n)\n}\n", true);
  CHECK(verify(*r.m, Stage::High).empty());
  CHECK(verify(*r.m, Stage::Lowered).empty());
}

TEST_CASE("a block must end in exactly one terminator") {
  Module m = one_fn({inst(Op::ConstInt, Type::int_(), {}, 0)}, {Type::int_()});
  CHECK(errors_of(m) == "fn f, block entry, #0 const.int: the block does not end in a terminator\n");
  Module m2 = one_fn({inst(Op::Ret), inst(Op::Ret)});
  CHECK(errors_of(m2) == "fn f, block entry, #0 ret: a terminator in the middle of a block\n");
}

TEST_CASE("values must be defined, once, before their uses") {
  Module m = one_fn({inst(Op::IAdd, Type::int_(), {1, 1}, 0), inst(Op::Ret)}, {Type::int_(), Type::int_()});
  CHECK(test::has(errors_of(m), "#0 iadd: uses %1, which is never defined"));
  Module m2 = one_fn({inst(Op::INeg, Type::int_(), {1}, 0), inst(Op::ConstInt, Type::int_(), {}, 1), inst(Op::Ret)},
                     {Type::int_(), Type::int_()});
  CHECK(test::has(errors_of(m2), "#0 ineg: uses %1 before its definition"));
  Module m3 = one_fn({inst(Op::ConstInt, Type::int_(), {}, 0), inst(Op::ConstInt, Type::int_(), {}, 0), inst(Op::Ret)},
                     {Type::int_()});
  CHECK(test::has(errors_of(m3), "defines %0 a second time"));
}

TEST_CASE("a value defined in one branch does not dominate the join") {
  Module m;
  m.files = {"t.sgl"};
  auto f = std::make_unique<Function>();
  f->name = "f";
  f->value_types = {Type::bool_(), Type::int_(), Type::int_()};
  f->add_block("entry");
  f->add_block("then");
  f->add_block("join");
  Inst c = inst(Op::ConstBool, Type::bool_(), {}, 0);
  Inst cbr = inst(Op::CondBr, Type::void_(), {0});
  cbr.targets = {1, 2};
  f->blocks[0].insts = {c, cbr};
  Inst br = inst(Op::Br);
  br.targets = {2};
  f->blocks[1].insts = {inst(Op::ConstInt, Type::int_(), {}, 1), br};
  f->blocks[2].insts = {inst(Op::INeg, Type::int_(), {1}, 2), inst(Op::Ret)};
  m.functions.push_back(std::move(f));
  CHECK(test::has(errors_of(m), "fn f, block join.2, #0 ineg: uses %1, whose definition does not dominate this use"));
}

TEST_CASE("operands must have the kinds their op needs") {
  Module m = one_fn({inst(Op::ConstStr, Type::str(), {}, 0), inst(Op::IAdd, Type::int_(), {0, 0}, 1), inst(Op::Ret)},
                    {Type::str(), Type::int_()});
  CHECK(test::has(errors_of(m), "#1 iadd: operand 0 is str, expected int"));
  CHECK(test::has(errors_of(m), "#1 iadd: operand 1 is str, expected int"));
}

TEST_CASE("calls need an existing callee with matching arguments") {
  Inst call = inst(Op::Call);
  call.str = "missing";
  Module m = one_fn({call, inst(Op::Ret)});
  CHECK(errors_of(m) == "fn f, block entry, #0 call: calls missing, which does not exist\n");
  call.str = "f";
  call.args = {0};
  Module m2 = one_fn({inst(Op::ConstInt, Type::int_(), {}, 0), call, inst(Op::Ret)}, {Type::int_()});
  CHECK(test::has(errors_of(m2), "passes 1 arguments to f, which takes 0"));
}

TEST_CASE("codegen's stage rejects unlowered forks and typed gens; failing ops need a location") {
  auto r = test::lower_text("fn main() {\n  let b = fork 2 { gen n: int }\n  print(b.n)\n}\n", false);
  CHECK(verify(*r.m, Stage::High).empty());
  std::string e = errors_of(*r.m, Stage::Lowered);
  CHECK(test::has(e, "fork must be lowered by the fork pass before codegen"));
  CHECK(test::has(e, "typed gen must be lowered by the constraint pass before codegen"));

  Module m = one_fn({inst(Op::ConstStr, Type::str(), {}, 0), inst(Op::IntFromStr, Type::int_(), {0}, 1), inst(Op::Ret)},
                    {Type::str(), Type::int_()});
  CHECK(errors_of(m) == "fn f, block entry, #1 int_from_str: can fail at run time but has no source location\n");
}

TEST_CASE("verify_or_throw says the error is internal and names the pass") {
  Module m = one_fn({inst(Op::ConstInt, Type::int_(), {}, 0)}, {Type::int_()});
  try {
    verify_or_throw(m, Stage::High, "fold-text");
    FAIL("no exception");
  } catch (const sgl::InternalError& e) {
    std::string what = e.what();
    CHECK(what.rfind("internal compiler error (a bug in sglc, please report it): the IR is malformed after fold-text:", 0) == 0);
    CHECK(test::has(what, "fn f, block entry, #0 const.int: the block does not end in a terminator"));
  }
}
