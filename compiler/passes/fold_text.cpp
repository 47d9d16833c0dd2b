// Folds constant text within each block: to_str of int/bool constants, constant runs inside
// concat, and runs of appends of constants. Constants left without uses are removed.
#include "passes/fold_text.h"

#include <map>
#include <optional>

namespace sgl::passes {

namespace {

using ir::Inst;
using ir::Op;

class TextFolder {
 public:
  explicit TextFolder(ir::Function& f) : f_(f) {}

  void run() {
    uses_.assign(f_.value_types.size(), 0);
    for (const ir::Block& b : f_.blocks)
      for (const Inst& in : b.insts)
        for (int a : in.args) ++uses_[a];
    for (ir::Block& b : f_.blocks) fold_block(b);
    remove_dead_constants();
  }

 private:
  std::optional<std::string> text_of(int v) const {
    auto it = text_.find(v);
    if (it == text_.end()) return std::nullopt;
    return it->second;
  }

  Inst const_str(const std::string& s) {
    Inst in;
    in.op = Op::ConstStr;
    in.type = ir::Type::str();
    in.str = s;
    in.result = f_.new_value(in.type);
    uses_.resize(f_.value_types.size(), 0);
    text_[in.result] = s;
    return in;
  }

  void fold_block(ir::Block& b) {
    std::vector<Inst> out;
    out.reserve(b.insts.size());
    int last_append = -1;  // index in `out` of an append of a constant with no stream op after it
    for (Inst& in : b.insts) {
      switch (in.op) {
        case Op::ConstStr: text_[in.result] = in.str; break;
        case Op::ConstInt: ints_[in.result] = in.imm; break;
        case Op::ConstBool: bools_[in.result] = in.imm != 0; break;
        case Op::ToStr: {
          // Floats are left to the runtime, whose shortest form is the one that counts.
          int a = in.args[0];
          if (ints_.count(a) || bools_.count(a)) {
            std::string s = ints_.count(a) ? std::to_string(ints_[a]) : (bools_[a] ? "true" : "false");
            in.op = Op::ConstStr;
            in.str = s;
            in.args.clear();
            text_[in.result] = s;
          }
          break;
        }
        case Op::Concat: fold_concat(in, out); break;
        default: break;
      }
      if (in.op == Op::Append) {
        std::optional<std::string> t = text_of(in.args[0]);
        if (t && last_append >= 0) {
          // Merge into the previous append: a new constant holds both texts.
          Inst& prev = out[last_append];
          std::string joined = *text_of(prev.args[0]) + *t;
          Inst c = const_str(joined);
          prev.args[0] = c.result;
          out.insert(out.begin() + last_append, std::move(c));
          ++last_append;
          continue;
        }
        out.push_back(std::move(in));
        last_append = t ? static_cast<int>(out.size()) - 1 : -1;
        continue;
      }
      // Constants and slot traffic do not touch the stream; anything else might.
      bool quiet = in.op == Op::ConstStr || in.op == Op::ConstInt || in.op == Op::ConstFloat || in.op == Op::ConstBool ||
                   in.op == Op::Load || in.op == Op::Store || in.op == Op::Concat || in.op == Op::ToStr;
      if (!quiet) last_append = -1;
      out.push_back(std::move(in));
    }
    b.insts = std::move(out);
  }

  void fold_concat(Inst& in, std::vector<Inst>& out) {
    // `a + b + c` is concat(concat(a, b), c): splice an inner concat used only here, so the
    // runtime builds the string once.
    std::vector<int> flat;
    for (int a : in.args) {
      auto it = concat_args_.find(a);
      if (it != concat_args_.end() && uses_[a] == 1) {
        flat.insert(flat.end(), it->second.begin(), it->second.end());
        for (int x : it->second) ++uses_[x];
        --uses_[a];
      } else {
        flat.push_back(a);
      }
    }
    in.args = std::move(flat);
    std::vector<int> args;
    std::string run;
    std::vector<int> run_ids;  // the constants in the current run
    auto flush = [&] {
      if (run_ids.size() == 1) {
        args.push_back(run_ids[0]);  // a lone constant stays as it is
      } else if (!run_ids.empty() && !run.empty()) {
        Inst c = const_str(run);
        args.push_back(c.result);
        out.push_back(std::move(c));
      }
      run.clear();
      run_ids.clear();
    };
    bool all_const = true;
    for (int a : in.args) {
      if (std::optional<std::string> t = text_of(a)) {
        run += *t;
        run_ids.push_back(a);
      } else {
        flush();
        args.push_back(a);
        all_const = false;
      }
    }
    if (all_const) {
      in.op = Op::ConstStr;
      in.str = run;
      in.args.clear();
      text_[in.result] = run;
      return;
    }
    flush();
    in.args = std::move(args);
    concat_args_[in.result] = in.args;
  }

  // Until nothing changes: removing a spliced concat can leave its constants unused.
  void remove_dead_constants() {
    for (bool changed = true; changed;) {
      changed = false;
      std::vector<int> uses(f_.value_types.size(), 0);
      for (const ir::Block& b : f_.blocks)
        for (const Inst& in : b.insts)
          for (int a : in.args) ++uses[a];
      for (ir::Block& b : f_.blocks) {
        std::vector<Inst> kept;
        for (Inst& in : b.insts) {
          // Constants, and concats whose parts were spliced into a later concat, have no effect.
          bool pure = in.op == Op::ConstStr || in.op == Op::ConstInt || in.op == Op::ConstFloat ||
                      in.op == Op::ConstBool || in.op == Op::Concat;
          if (pure && uses[in.result] == 0) {
            changed = true;
            continue;
          }
          kept.push_back(std::move(in));
        }
        b.insts = std::move(kept);
      }
    }
  }

  ir::Function& f_;
  std::map<int, std::string> text_;
  std::map<int, int64_t> ints_;
  std::map<int, bool> bools_;
  std::map<int, std::vector<int>> concat_args_;  // the parts of each concat folded so far
  std::vector<int> uses_;
};

}  // namespace

void fold_text(ir::Module& m) {
  for (auto& f : m.functions) TextFolder(*f).run();
}

}  // namespace sgl::passes
