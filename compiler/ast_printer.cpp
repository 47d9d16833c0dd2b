#include "ast_printer.h"

#include <charconv>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "types.h"

namespace sgl {
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u{%x}", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string type_ref(const ast::TypeRef& t) {
  if (t.inline_enum) {
    std::string out = "enum(";
    for (size_t i = 0; i < t.enum_values.size(); ++i) out += (i ? ", " : "") + quote(t.enum_values[i]);
    return out + ")";
  }
  return t.arg ? t.name + "[" + type_ref(*t.arg) + "]" : t.name;
}

class Printer {
 public:
  explicit Printer(std::ostream& out) : out_(out) {}

  void module(const ast::Module& m) {
    out_ << "(module " << m.name << "\n";
    for (auto& d : m.decls) decl(*d, 1);
    out_ << ")\n";
  }

 private:
  void indent(int n) {
    for (int i = 0; i < n; ++i) out_ << "  ";
  }

  void doc(const ast::Decl& d, int n) {
    if (d.doc.empty()) return;
    indent(n);
    out_ << "(doc " << quote(d.doc) << ")\n";
  }

  void decl(const ast::Decl& d, int n) {
    indent(n);
    switch (d.kind) {
      case ast::DeclKind::Import:
        out_ << "(import " << d.as<ast::Import>().dotted() << ")\n";
        return;
      case ast::DeclKind::Enum: {
        auto& e = d.as<ast::EnumDecl>();
        out_ << "(enum " << e.name;
        for (auto& v : e.values) out_ << " " << quote(v);
        out_ << ")\n";
        doc(d, n + 1);
        return;
      }
      case ast::DeclKind::Schema: {
        auto& s = d.as<ast::SchemaDecl>();
        out_ << "(schema " << s.name << "\n";
        doc(d, n + 1);
        for (auto& f : s.fields) {
          indent(n + 1);
          out_ << "(field " << f.name << (f.optional ? "?" : "") << " " << type_ref(f.type) << ")\n";
        }
        indent(n);
        out_ << ")\n";
        return;
      }
      case ast::DeclKind::Fn: {
        auto& f = d.as<ast::FnDecl>();
        out_ << "(fn " << f.name << " (";
        for (size_t i = 0; i < f.params.size(); ++i) {
          auto& p = f.params[i];
          out_ << (i ? " " : "") << "(" << p.name << " " << type_ref(p.type);
          if (p.default_value) out_ << " = " << expr(*p.default_value);
          out_ << ")";
        }
        out_ << ")";
        if (f.return_type) out_ << " -> " << type_ref(*f.return_type);
        out_ << "\n";
        doc(d, n + 1);
        block(f.body, n + 1);
        indent(n);
        out_ << ")\n";
        return;
      }
    }
  }

  void block(const ast::Block& b, int n) {
    indent(n);
    out_ << "(block";
    if (b.stmts.empty()) {
      out_ << ")\n";
      return;
    }
    out_ << "\n";
    for (auto& s : b.stmts) stmt(*s, n + 1);
    indent(n);
    out_ << ")\n";
  }

  void stmt(const ast::Stmt& s, int n) {
    depth_ = n;
    indent(n);
    switch (s.kind) {
      case ast::StmtKind::Let: {
        auto& l = s.as<ast::Let>();
        out_ << "(let " << l.name;
        if (l.declared_type) out_ << " " << type_ref(*l.declared_type);
        out_ << " " << expr(*l.value) << ")\n";
        return;
      }
      case ast::StmtKind::Assign: {
        auto& a = s.as<ast::Assign>();
        out_ << "(" << (a.append ? "+=" : "=") << " " << a.name << " " << expr(*a.value) << ")\n";
        return;
      }
      case ast::StmtKind::If: {
        auto& i = s.as<ast::If>();
        out_ << "(if " << expr(*i.cond) << "\n";
        block(i.then_block, n + 1);
        if (i.else_if) {
          indent(n + 1);
          out_ << "(else\n";
          stmt(*i.else_if, n + 2);
          indent(n + 1);
          out_ << ")\n";
        } else if (i.else_block) {
          indent(n + 1);
          out_ << "(else\n";
          block(*i.else_block, n + 2);
          indent(n + 1);
          out_ << ")\n";
        }
        indent(n);
        out_ << ")\n";
        return;
      }
      case ast::StmtKind::For: {
        auto& f = s.as<ast::For>();
        out_ << "(for " << f.var << " " << expr(*f.iterable) << "\n";
        block(f.body, n + 1);
        indent(n);
        out_ << ")\n";
        return;
      }
      case ast::StmtKind::While: {
        auto& w = s.as<ast::While>();
        out_ << "(while " << expr(*w.cond) << "\n";
        block(w.body, n + 1);
        indent(n);
        out_ << ")\n";
        return;
      }
      case ast::StmtKind::Break: out_ << "(break)\n"; return;
      case ast::StmtKind::Continue: out_ << "(continue)\n"; return;
      case ast::StmtKind::Return: {
        auto& r = s.as<ast::Return>();
        out_ << "(return" << (r.value ? " " + expr(*r.value) : "") << ")\n";
        return;
      }
      case ast::StmtKind::Role: {
        auto& r = s.as<ast::RoleStmt>();
        out_ << "(" << ast::to_string(r.role) << "\n";
        block(r.body, n + 1);
        indent(n);
        out_ << ")\n";
        return;
      }
      case ast::StmtKind::Append: {
        auto& a = s.as<ast::Append>();
        out_ << (a.is_call_statement ? "(call-stmt" : "(append");
        for (auto& i : a.items) out_ << " " << expr(*i);
        out_ << ")\n";
        return;
      }
    }
  }

  std::string typed(const ast::Expr& e, std::string body) {
    if (e.type) body += " : " + e.type->to_string();
    return "(" + body + ")";
  }

  std::string args(const std::vector<ast::Arg>& as) {
    std::string out;
    for (auto& a : as) {
      out += " ";
      if (!a.name.empty()) out += a.name + "=";
      out += expr(*a.value);
    }
    return out;
  }

  std::string expr(const ast::Expr& e) {
    switch (e.kind) {
      case ast::ExprKind::Int: return typed(e, "int " + std::to_string(e.as<ast::IntLit>().value));
      case ast::ExprKind::Float: {
        char buf[64];
        auto res = std::to_chars(buf, buf + sizeof buf, e.as<ast::FloatLit>().value);
        return typed(e, "float " + std::string(buf, res.ptr));
      }
      case ast::ExprKind::Bool: return typed(e, std::string("bool ") + (e.as<ast::BoolLit>().value ? "true" : "false"));
      case ast::ExprKind::String: {
        auto& s = e.as<ast::StringLit>();
        std::string body = s.raw ? "raw-str" : "str";
        for (auto& p : s.parts) body += " " + (p.expr ? "{" + expr(*p.expr) + "}" : quote(p.text));
        return typed(e, body);
      }
      case ast::ExprKind::Regex: return typed(e, "regex " + quote(e.as<ast::RegexLit>().pattern));
      case ast::ExprKind::List: {
        std::string body = "list";
        for (auto& i : e.as<ast::ListLit>().items) body += " " + expr(*i);
        return typed(e, body);
      }
      case ast::ExprKind::Name: return typed(e, "name " + e.as<ast::NameRef>().name);
      case ast::ExprKind::Member: {
        auto& m = e.as<ast::Member>();
        return typed(e, "member " + expr(*m.object) + " " + m.name);
      }
      case ast::ExprKind::Index: {
        auto& i = e.as<ast::Index>();
        return typed(e, "index " + expr(*i.object) + " " + expr(*i.index));
      }
      case ast::ExprKind::Call: {
        auto& c = e.as<ast::Call>();
        return typed(e, "call " + expr(*c.callee) + args(c.args));
      }
      case ast::ExprKind::Unary: {
        auto& u = e.as<ast::Unary>();
        return typed(e, std::string(ast::to_string(u.op)) + " " + expr(*u.operand));
      }
      case ast::ExprKind::Binary: {
        auto& b = e.as<ast::Binary>();
        return typed(e, std::string(ast::to_string(b.op)) + " " + expr(*b.lhs) + " " + expr(*b.rhs));
      }
      case ast::ExprKind::Gen: {
        auto& g = e.as<ast::Gen>();
        std::string body = "gen" + (g.name.empty() ? std::string() : " " + g.name) + args(g.options);
        if (g.target_type) body += " as " + type_ref(*g.target_type);
        return typed(e, body);
      }
      case ast::ExprKind::Select: {
        auto& s = e.as<ast::Select>();
        return typed(e, "select" + (s.name.empty() ? std::string() : " " + s.name) + args(s.args));
      }
      case ast::ExprKind::Fork: {
        auto& f = e.as<ast::Fork>();
        // The branch body is a block: print it on its own lines, one level deeper.
        std::string head = "fork ";
        if (f.count) head += expr(*f.count);
        else head += f.var + " in " + expr(*f.list);
        std::ostringstream blk;
        Printer bp(blk);
        bp.depth_ = depth_ + 1;
        bp.block(*f.body, depth_ + 1);
        std::string close(static_cast<size_t>(depth_) * 2, ' ');
        return typed(e, head + "\n" + blk.str() + close);
      }
      case ast::ExprKind::Spawn: return typed(e, "spawn " + expr(*e.as<ast::Spawn>().call));
    }
    return "(?)";
  }

  std::ostream& out_;
  int depth_ = 0;  // indentation of the statement being printed (for fork bodies inside it)
};

}  // namespace

void print_ast(const ast::Module& module, std::ostream& out) {
  Printer p(out);
  p.module(module);
}

}  // namespace sgl
