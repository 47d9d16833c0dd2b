// Splits the block at each fork: the first half begins the fork, fills the env and enters a
// start loop; the second half starts with the join, which keeps the fork's result value.
#include "passes/lower_fork.h"

namespace sgl::passes {

namespace {

using ir::Inst;
using ir::Op;

class ForkLowerer {
 public:
  explicit ForkLowerer(ir::Function& f) : f_(f) {}

  void run() {
    // Blocks are appended while we go; each new "done" block is visited too (nested order).
    for (size_t b = 0; b < f_.blocks.size(); ++b) {
      for (size_t i = 0; i < f_.blocks[b].insts.size(); ++i) {
        if (f_.blocks[b].insts[i].op == Op::Fork) {
          lower(static_cast<int>(b), i);
          break;  // the rest of this block moved to the done block, visited later
        }
      }
    }
  }

 private:
  int value(Inst in) {
    if (!in.type.is_void()) in.result = f_.new_value(in.type);
    int r = in.result;
    f_.blocks[cur_].insts.push_back(std::move(in));
    return r;
  }
  static Inst mk(Op op, ir::Type t, std::vector<int> args = {}, int64_t imm = 0) {
    Inst in;
    in.op = op;
    in.type = std::move(t);
    in.args = std::move(args);
    in.imm = imm;
    return in;
  }

  void lower(int b, size_t at) {
    Inst fork = std::move(f_.blocks[b].insts[at]);
    std::vector<Inst> rest(std::make_move_iterator(f_.blocks[b].insts.begin() + static_cast<long>(at) + 1),
                           std::make_move_iterator(f_.blocks[b].insts.end()));
    f_.blocks[b].insts.resize(at);
    int head = f_.add_block("fork.head"), body = f_.add_block("fork.start"), done = f_.add_block("fork.done");
    cur_ = b;
    const ir::Type I = ir::Type::int_();
    int what = fork.args[0];
    bool over_list = ir::kind_of(f_.value_types[what]) == ir::Kind::List;
    int n = over_list ? value(mk(Op::ListLen, I, {what})) : what;
    Inst begin = mk(Op::ForkBegin, ir::Type::fork(), {n});
    begin.loc = fork.loc;
    int handle = value(std::move(begin));
    int env = value(mk(Op::EnvNew, ir::Type::env(), {}, static_cast<int64_t>(fork.args.size() - 1)));
    for (size_t k = 1; k < fork.args.size(); ++k)
      value(mk(Op::EnvStore, ir::Type::void_(), {env, fork.args[k]}, static_cast<int64_t>(k - 1)));
    f_.slots.push_back({"fork.index", I});
    int64_t idx = static_cast<int64_t>(f_.slots.size()) - 1;
    value(mk(Op::Store, ir::Type::void_(), {value(mk(Op::ConstInt, I, {}, 0))}, idx));
    Inst br = mk(Op::Br, ir::Type::void_());
    br.targets = {head};
    value(br);

    cur_ = head;
    int i = value(mk(Op::Load, I, {}, idx));
    Inst lt = mk(Op::ICmp, ir::Type::bool_(), {i, n}, static_cast<int64_t>(ir::Cmp::Lt));
    int more = value(std::move(lt));
    Inst cbr = mk(Op::CondBr, ir::Type::void_(), {more});
    cbr.targets = {body, done};
    value(std::move(cbr));

    cur_ = body;
    int item = i;
    if (over_list) {
      Inst get = mk(Op::ListGet, f_.value_types[what].elem(), {what, i});
      get.loc = fork.loc;
      item = value(std::move(get));
    }
    Inst start = mk(Op::ForkStart, ir::Type::void_(), {handle, i, env, item});
    start.str = fork.str;
    value(std::move(start));
    int one = value(mk(Op::ConstInt, I, {}, 1));
    value(mk(Op::Store, ir::Type::void_(), {value(mk(Op::IAdd, I, {i, one}))}, idx));
    value(br);

    cur_ = done;
    Inst join = mk(Op::ForkJoin, fork.type, {handle});
    join.result = fork.result;  // uses of the fork's value now read the join's
    join.loc = fork.loc;
    f_.blocks[done].insts.push_back(std::move(join));
    for (Inst& in : rest) f_.blocks[done].insts.push_back(std::move(in));
  }

  ir::Function& f_;
  int cur_ = 0;
};

}  // namespace

void lower_forks(ir::Module& m) {
  for (auto& f : m.functions) ForkLowerer(*f).run();
}

}  // namespace sgl::passes
