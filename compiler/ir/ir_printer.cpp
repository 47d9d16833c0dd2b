// Prints SGL IR as text, one instruction per line: `%3 = op operands : type !line:col`.
#include "ir/ir_printer.h"

#include <charconv>
#include <ostream>
#include <sstream>

namespace sgl::ir {

namespace {

const char* role_name(int64_t r) {
  switch (r) {
    case 0: return "system";
    case 1: return "user";
    case 2: return "assistant";
    default: return "?role";
  }
}

std::string float_text(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // keep floats visibly floats
  return s;
}

class Printer {
 public:
  Printer(const Module& m, std::ostream& out) : m_(m), out_(out) {}

  void module() {
    out_ << "; sgl ir: " << m_.source_file << "\n";
    if (!m_.prefix.empty()) out_ << "prefix " << m_.prefix << "\n";
    for (const SchemaDecl& s : m_.schemas) {
      out_ << "schema " << s.name << " {";
      for (size_t i = 0; i < s.fields.size(); ++i) {
        const SchemaField& f = s.fields[i];
        out_ << (i ? ", " : " ") << f.name << (f.optional ? "?" : "") << ": " << f.type.to_string();
      }
      out_ << " }\n";
    }
    for (const auto& f : m_.functions) {
      out_ << "\n";
      function(*f);
    }
  }

  void function(const Function& f) {
    const Function* saved = fn_;
    fn_ = &f;
    out_ << to_string(f.kind) << " " << f.name << "(";
    for (size_t i = 0; i < f.params.size(); ++i) {
      out_ << (i ? ", " : "") << "%" << i << " " << f.params[i].name << ": " << f.params[i].type.to_string();
    }
    out_ << ")";
    if (!f.ret.is_void()) out_ << " -> " << f.ret.to_string();
    if (fn_->name == m_.main) out_ << " main";
    out_ << " {\n";
    for (size_t i = 0; i < f.slots.size(); ++i) {
      out_ << "  slot $" << i << " " << f.slots[i].name << ": " << f.slots[i].type.to_string() << "\n";
    }
    for (const Block& b : f.blocks) {
      out_ << b.name << ":\n";
      for (const Inst& in : b.insts) {
        out_ << "  ";
        inst(in);
        out_ << "\n";
      }
    }
    out_ << "}\n";
    fn_ = saved;
  }

 private:
  std::string v(int id) const { return "%" + std::to_string(id); }
  std::string block(int id) const {
    if (!fn_ || id < 0 || id >= static_cast<int>(fn_->blocks.size())) return "<bad block " + std::to_string(id) + ">";
    return fn_->blocks[id].name;
  }
  std::string args(const Inst& in, size_t from = 0, size_t to = SIZE_MAX) const {
    std::string out;
    for (size_t i = from; i < in.args.size() && i < to; ++i) out += (i > from ? ", " : "") + v(in.args[i]);
    return out;
  }

  void inst(const Inst& in) {
    if (in.result >= 0) out_ << v(in.result) << " = ";
    out_ << to_string(in.op);
    switch (in.op) {
      case Op::ConstStr: out_ << " " << quote(in.str); break;
      case Op::ConstInt: out_ << " " << in.imm; break;
      case Op::ConstFloat: out_ << " " << float_text(in.fimm); break;
      case Op::ConstBool: out_ << (in.imm ? " true" : " false"); break;
      case Op::Load: out_ << " $" << in.imm; break;
      case Op::Store: out_ << " $" << in.imm << ", " << args(in); break;
      case Op::ICmp: case Op::FCmp: out_ << "." << to_string(static_cast<Cmp>(in.imm)) << " " << args(in); break;
      case Op::ListNew: break;
      case Op::RoleBegin: case Op::RoleEnd: out_ << " " << role_name(in.imm); break;
      case Op::Gen: {
        out_ << " " << (in.str.empty() ? "_" : quote(in.str)) << " (";
        for (size_t i = 0; i < in.keys.size(); ++i) out_ << (i ? ", " : "") << in.keys[i] << ": " << v(in.args[i]);
        out_ << ")";
        switch (in.constraint) {
          case ConstraintKind::None: break;
          case ConstraintKind::Regex: out_ << " regex " << args(in, in.keys.size()); break;
          case ConstraintKind::Json: out_ << " json " << args(in, in.keys.size()); break;
          case ConstraintKind::Typed: out_ << " type " << in.target.to_string(); break;
        }
        break;
      }
      case Op::Select: out_ << " " << (in.str.empty() ? "_" : quote(in.str)) << " " << args(in); break;
      case Op::Fork: out_ << " " << args(in, 0, 1) << " -> " << in.str << " [" << args(in, 1) << "]"; break;
      case Op::ForkStart: out_ << " " << args(in, 0, 2) << ", " << in.str << ", " << args(in, 2); break;
      case Op::EnvNew: out_ << " " << in.imm; break;
      case Op::EnvStore: out_ << " " << v(in.args[0]) << "[" << in.imm << "], " << args(in, 1); break;
      case Op::EnvLoad: out_ << " " << v(in.args[0]) << "[" << in.imm << "]"; break;
      case Op::BranchVar: case Op::BranchesVar: case Op::TaskVar: case Op::ObjGet:
        out_ << " " << args(in) << " " << quote(in.str);
        break;
      case Op::Spawn: out_ << " " << in.str << ", " << args(in); break;
      case Op::Call: out_ << " " << in.str << "(" << args(in) << ")"; break;
      case Op::Br: out_ << " " << block(in.targets.empty() ? -1 : in.targets[0]); break;
      case Op::CondBr:
        out_ << " " << args(in) << ", " << block(in.targets.size() > 0 ? in.targets[0] : -1) << ", "
             << block(in.targets.size() > 1 ? in.targets[1] : -1);
        break;
      default:
        if (!in.args.empty()) out_ << " " << args(in);
        break;
    }
    if (in.result >= 0 || !in.type.is_void()) out_ << " : " << in.type.to_string();
    if (in.loc.valid()) {
      out_ << " !";
      if (in.loc.file > 0 && in.loc.file < static_cast<int>(m_.files.size())) out_ << m_.files[in.loc.file] << ":";
      out_ << in.loc.line << ":" << in.loc.col;
    }
  }

  const Module& m_;
  std::ostream& out_;
  const Function* fn_ = nullptr;
};

}  // namespace

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static const char* hex = "0123456789abcdef";
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void print_module(const Module& m, std::ostream& out) { Printer(m, out).module(); }

void print_function(const Module& m, const Function& f, std::ostream& out) { Printer(m, out).function(f); }

std::string to_text(const Module& m) {
  std::ostringstream ss;
  print_module(m, ss);
  return ss.str();
}

}  // namespace sgl::ir
