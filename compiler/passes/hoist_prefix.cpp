// Finds main's constant prefix: appends of constant text and role begin/end, in order, skipping
// only instructions that cannot touch the stream (constants, slot loads and stores), and
// stopping at the first one that might. Best run after fold_text, so the prefix is one piece.
#include "passes/hoist_prefix.h"

#include <map>
#include <set>

namespace sgl::passes {

namespace {

using ir::Inst;
using ir::Op;

bool quiet(Op op) {
  return op == Op::ConstStr || op == Op::ConstInt || op == Op::ConstFloat || op == Op::ConstBool || op == Op::Load ||
         op == Op::Store;
}

}  // namespace

void hoist_prefix(ir::Module& m) {
  ir::Function* main = m.find(m.main);
  if (!main || main->blocks.empty() || !m.prefix.empty()) return;
  ir::Block& entry = main->blocks[0];
  std::map<int, std::string> text;
  std::vector<size_t> taken;
  for (size_t i = 0; i < entry.insts.size(); ++i) {
    const Inst& in = entry.insts[i];
    if (in.op == Op::ConstStr) text[in.result] = in.str;
    if (in.op == Op::Append && text.count(in.args[0])) {
      taken.push_back(i);
    } else if (in.op == Op::RoleBegin || in.op == Op::RoleEnd) {
      taken.push_back(i);
    } else if (!quiet(in.op)) {
      break;
    }
  }
  bool any_text = false;
  for (size_t i : taken) any_text = any_text || entry.insts[i].op == Op::Append;
  if (!any_text) return;

  auto fn = std::make_unique<ir::Function>();
  fn->name = main->name + ".prefix";
  fn->kind = ir::FnKind::Prefix;
  fn->add_block("entry");
  std::vector<Inst>& body = fn->blocks[0].insts;
  for (size_t i : taken) {
    Inst in = entry.insts[i];
    if (in.op == Op::Append) {
      Inst c;
      c.op = Op::ConstStr;
      c.type = ir::Type::str();
      c.str = text[in.args[0]];
      c.result = fn->new_value(c.type);
      in.args = {c.result};
      body.push_back(std::move(c));
    }
    body.push_back(std::move(in));
  }
  Inst ret;
  ret.op = Op::Ret;
  body.push_back(std::move(ret));

  // main calls the prefix where its first piece was; the moved constants may now be unused.
  std::set<size_t> moved(taken.begin(), taken.end());
  std::vector<Inst> kept;
  for (size_t i = 0; i < entry.insts.size(); ++i) {
    if (i == taken.front()) {
      Inst call;
      call.op = Op::Call;
      call.str = fn->name;
      kept.push_back(std::move(call));
    }
    if (!moved.count(i)) kept.push_back(std::move(entry.insts[i]));
  }
  entry.insts = std::move(kept);
  // Remove constants that only the moved appends used.
  std::map<int, int> live;
  for (const ir::Block& b : main->blocks)
    for (const Inst& in : b.insts)
      for (int a : in.args) ++live[a];
  std::vector<Inst> pruned;
  for (Inst& in : entry.insts) {
    if (in.op == Op::ConstStr && !live.count(in.result)) continue;
    pruned.push_back(std::move(in));
  }
  entry.insts = std::move(pruned);
  m.prefix = fn->name;
  m.functions.push_back(std::move(fn));
}

}  // namespace sgl::passes
