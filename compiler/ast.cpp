#include "ast.h"

namespace sgl::ast {

const char* to_string(UnaryOp op) { return op == UnaryOp::Neg ? "-" : "!"; }

const char* to_string(BinaryOp op) {
  switch (op) {
    case BinaryOp::Mul: return "*";
    case BinaryOp::Div: return "/";
    case BinaryOp::Mod: return "%";
    case BinaryOp::Add: return "+";
    case BinaryOp::Sub: return "-";
    case BinaryOp::Lt: return "<";
    case BinaryOp::Le: return "<=";
    case BinaryOp::Gt: return ">";
    case BinaryOp::Ge: return ">=";
    case BinaryOp::Eq: return "==";
    case BinaryOp::Ne: return "!=";
    case BinaryOp::Match: return "~";
    case BinaryOp::And: return "&&";
    case BinaryOp::Or: return "||";
  }
  return "?";
}

const char* to_string(Role r) {
  switch (r) {
    case Role::System: return "system";
    case Role::User: return "user";
    case Role::Assistant: return "assistant";
  }
  return "?";
}

bool StringLit::is_constant() const {
  for (const StringPart& p : parts)
    if (p.expr) return false;
  return true;
}

std::string StringLit::constant_text() const {
  std::string out;
  for (const StringPart& p : parts)
    if (!p.expr) out += p.text;
  return out;
}

Fork::Fork(Span s) : Expr(ExprKind::Fork, s) {}
Fork::~Fork() = default;

std::string Import::dotted() const {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) out += '.';
    out += path[i];
  }
  return out;
}

}  // namespace sgl::ast
