// The one door to ANTLR. Three stages:
//   1. lex: the generated lexer reads the bytes; lexical errors (unterminated strings, stray
//      characters) become diagnostics here, and regex-vs-division is settled (grammar/SGL.g4).
//   2. layout: newlines become ';' where they end a statement; nesting limits are enforced.
//   3. parse: SLL first (fast), full LL with error recovery only when SLL fails; syntax errors
//      are described in words. A successful parse tree is converted to the AST.
#include "parse.h"

// ANTLR's headers trip some of our warnings; they are not our code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
#pragma GCC diagnostic ignored "-Wshadow=local"
#include <antlr4-runtime.h>

#include "SGLLexer.h"
#include "SGLParser.h"
#pragma GCC diagnostic pop

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <optional>

namespace sgl {
namespace {

using sglgen::SGLLexer;
using sglgen::SGLParser;
using antlr4::Token;

// ANTLR normally decodes UTF-8 into code points. We feed it bytes instead (every byte one
// "character"), so token start/stop indices are byte offsets into the file, the same unit as
// our spans. Non-ASCII bytes only ever occur inside strings, comments and error tokens.
class ByteInputStream : public antlr4::ANTLRInputStream {
 public:
  ByteInputStream(std::string_view bytes, std::string name) {
    _data.resize(bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i) _data[i] = static_cast<unsigned char>(bytes[i]);
    // A UTF-8 byte order mark is whitespace to us.
    if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") _data[0] = _data[1] = _data[2] = U' ';
    name_ = std::move(name);
    p = 0;
  }
  std::string getText(const antlr4::misc::Interval& interval) override {
    if (interval.a < 0 || interval.b < interval.a) return "";
    size_t a = static_cast<size_t>(interval.a), b = std::min(static_cast<size_t>(interval.b), _data.size() - 1);
    std::string out;
    for (size_t i = a; i <= b && i < _data.size(); ++i) out += static_cast<char>(_data[i]);
    return out;
  }
  std::string getSourceName() const override { return name_; }

 private:
  std::string name_;
};

struct LexTok {
  size_t type;
  uint32_t begin, end;  // absolute byte offsets, [begin, end)
};

bool ends_operand(size_t t) {
  switch (t) {
    case SGLLexer::IDENT: case SGLLexer::INT: case SGLLexer::FLOAT: case SGLLexer::STRING:
    case SGLLexer::TRIPLE_STRING: case SGLLexer::RAW_STRING: case SGLLexer::REGEX:
    case SGLLexer::TRUE: case SGLLexer::FALSE: case SGLLexer::RPAREN: case SGLLexer::RBRACK:
      return true;
    default:
      return false;
  }
}

bool ends_statement(size_t t) {
  switch (t) {
    case SGLLexer::RBRACE: case SGLLexer::BREAK: case SGLLexer::CONTINUE: case SGLLexer::RETURN:
    case SGLLexer::GEN:
      return true;
    default:
      return ends_operand(t);
  }
}

bool is_nesting_operator(size_t t) {
  switch (t) {
    case SGLLexer::PLUS: case SGLLexer::MINUS: case SGLLexer::STAR: case SGLLexer::SLASH:
    case SGLLexer::PERCENT: case SGLLexer::BANG: case SGLLexer::TILDE: case SGLLexer::EQ:
    case SGLLexer::NE: case SGLLexer::LT: case SGLLexer::LE: case SGLLexer::GT: case SGLLexer::GE:
    case SGLLexer::AND: case SGLLexer::OR: case SGLLexer::DOT: case SGLLexer::LPAREN:
    case SGLLexer::LBRACK: case SGLLexer::FORK: case SGLLexer::SPAWN:
      return true;
    default:
      return false;
  }
}

std::string describe_char(std::string_view text, uint32_t at) {
  unsigned char c = static_cast<unsigned char>(text[at]);
  if (c < 0x20 || c == 0x7F) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", c);
    return buf;
  }
  int len = utf8_sequence_length(c);
  return "'" + std::string(text.substr(at, std::min<size_t>(len, text.size() - at))) + "'";
}

// A token source over one region of a file: the whole file, or the text of one interpolation.
struct TokenizedRegion {
  std::unique_ptr<ByteInputStream> input;
  std::unique_ptr<SGLLexer> lexer;
  std::vector<std::unique_ptr<Token>> tokens;  // what the parser sees
  std::vector<LexTok> doc_comments;
  bool fatal = false;  // a limit was hit: do not parse
  int lex_errors = 0;
  std::optional<Span> innermost_unclosed;  // for "to match this '{'" notes
  // For each token: the innermost bracket open before it (type 0 when none), for messages like
  // "expected ')' to close the '(' opened at 2:10".
  std::vector<std::pair<size_t, uint32_t>> open_before;
  std::vector<uint32_t> lex_error_lines;  // syntax errors there are echoes of the lexical one
};

class Lexing {
 public:
  Lexing(const SourceFile& file, DiagnosticEngine& diags) : file_(file), diags_(diags) {}

  // Tokenizes text[base, base+len) of the file.
  TokenizedRegion run(uint32_t base, uint32_t len) {
    TokenizedRegion r;
    std::string_view text = std::string_view(file_.text()).substr(base, len);
    r.input = std::make_unique<ByteInputStream>(text, file_.path());
    r.lexer = std::make_unique<SGLLexer>(r.input.get());
    r.lexer->removeErrorListeners();  // ERROR_CHAR makes the lexer total; nothing to report

    std::vector<LexTok> raw;
    const std::string& src = file_.text();
    for (;;) {
      std::unique_ptr<Token> t = r.lexer->nextToken();
      size_t type = t->getType();
      if (type == Token::EOF) break;
      uint32_t b = base + static_cast<uint32_t>(t->getStartIndex());
      uint32_t e = base + static_cast<uint32_t>(t->getStopIndex()) + 1;
      // After a newline a '/' starts a regex (a new statement), unless a bracket is open.
      size_t prev = !raw.empty() && raw.back().type == SGLLexer::NL ? Token::INVALID_TYPE : last_significant(raw);
      switch (type) {
        case SGLLexer::REGEX:
          if (ends_operand(prev)) {
            // "a / b / c": the first '/' is division; lex again right after it.
            raw.push_back({SGLLexer::SLASH, b, b + 1});
            r.input->seek(b - base + 1);
            r.lexer->setLine(t->getLine());
            r.lexer->setCharPositionInLine(t->getCharPositionInLine() + 1);
            continue;
          }
          break;
        case SGLLexer::SLASH:
          if (!ends_operand(prev)) {
            lex_error(r, {b, b + 1},
                      "unterminated regex literal (a /regex/ must end with '/' on the same line)");
            raw.push_back({SGLLexer::REGEX, b, e});  // keep parsing as if it were a regex
            continue;
          }
          break;
        case SGLLexer::UNTERMINATED_STRING: {
          if (e < base + len && src[e] == '{') {
            lex_error(r, {e, e + 1},
                      "unclosed interpolation in a string: '{' starts {expr}; write \\{ for a literal brace, or use "
                      "r\"...\" for text such as JSON");
          } else {
            lex_error(r, {b, b + 1},
                      "unterminated string literal (a \"...\" string ends on its own line; use \"\"\"...\"\"\" "
                      "for text over several lines)");
          }
          raw.push_back({SGLLexer::STRING, b, e});  // keep parsing as if it were closed
          skip_to_line_end(r, raw, e, base, text);
          continue;
        }
        case SGLLexer::UNTERMINATED_TRIPLE_STRING:
          lex_error(r, {b, b + 3}, "unterminated string literal: no closing \"\"\" before the end of the file");
          continue;
        case SGLLexer::UNTERMINATED_RAW_STRING:
          lex_error(r, {b, b + 2}, "unterminated raw string literal: no closing '\"' before the end of the file");
          continue;
        case SGLLexer::UNTERMINATED_BLOCK_COMMENT:
          lex_error(r, {b, b + 2}, "unterminated block comment: no closing '*/' before the end of the file");
          continue;
        case SGLLexer::ERROR_CHAR: {
          // One diagnostic for a run of stray bytes; a multi-byte character is one character.
          uint32_t end = b + utf8_sequence_length(static_cast<unsigned char>(src[b]));
          std::string what = describe_char(src, b);
          lex_error(r, {b, end}, "unexpected character " + what + " outside a string");
          // Skip the continuation bytes of this character and any adjacent stray characters.
          for (;;) {
            if (end >= base + len) break;
            unsigned char c = static_cast<unsigned char>(src[end]);
            bool stray = c >= 0x80 || c == '@' || c == '#' || c == '$' || c == '`' || c == '^' || c == '\\' ||
                         c == '|' || c == '&' || c == '\'' || c < 0x20;
            if (!stray || c == '\n' || c == '\r' || c == '\t') break;
            end += utf8_sequence_length(c);
          }
          end = std::min(end, base + len);
          r.input->seek(end - base);
          continue;
        }
        case SGLLexer::DOC_COMMENT:
          if (!(e - b >= 4 && src[b + 3] == '/')) r.doc_comments.push_back({type, b, e});
          continue;
        default:
          break;
      }
      raw.push_back({type, b, e});
    }
    layout(r, raw, base + len);
    return r;
  }

 private:
  static size_t last_significant(const std::vector<LexTok>& raw) {
    for (auto it = raw.rbegin(); it != raw.rend(); ++it)
      if (it->type != SGLLexer::NL) return it->type;
    return Token::INVALID_TYPE;
  }

  void lex_error(TokenizedRegion& r, Span span, std::string msg) {
    ++r.lex_errors;
    r.lex_error_lines.push_back(file_.line_col(span.begin).line);
    diags_.error(&file_, span, std::move(msg));
  }

  // After an error that leaves the rest of the line meaningless, drop tokens up to the newline.
  void skip_to_line_end(TokenizedRegion& r, std::vector<LexTok>& raw, uint32_t from, uint32_t base,
                        std::string_view text) {
    uint32_t i = from - base;
    while (i < text.size() && text[i] != '\n' && text[i] != '\r') ++i;
    r.input->seek(i);
    (void)raw;
  }

  // Newline -> ';' insertion, bracket depth, and the other stack-safety limits.
  void layout(TokenizedRegion& r, const std::vector<LexTok>& raw, uint32_t end_offset) {
    std::vector<std::pair<size_t, uint32_t>> stack;  // open bracket type and offset
    size_t last = Token::INVALID_TYPE;
    int operators = 0;
    int else_ifs = 0;
    auto emit = [&](size_t type, uint32_t b, uint32_t e, const std::string& text) {
      auto tok = std::make_unique<antlr4::CommonToken>(
          std::make_pair<antlr4::TokenSource*, antlr4::CharStream*>(r.lexer.get(), r.input.get()), type,
          Token::DEFAULT_CHANNEL, b, e == b ? b : e - 1);
      tok->setText(text);
      LineCol lc = file_.line_col(b);
      tok->setLine(lc.line);
      tok->setCharPositionInLine(lc.col - 1);
      tok->setTokenIndex(r.tokens.size());
      r.tokens.push_back(std::move(tok));
      r.open_before.push_back(stack.empty() ? std::pair<size_t, uint32_t>{0, 0} : stack.back());
      last = type;
    };
    const std::string& src = file_.text();
    for (size_t i = 0; i < raw.size(); ++i) {
      const LexTok& t = raw[i];
      if (t.type == SGLLexer::NL) {
        size_t next = Token::EOF;
        for (size_t j = i + 1; j < raw.size(); ++j)
          if (raw[j].type != SGLLexer::NL) {
            next = raw[j].type;
            break;
          }
        bool statement_context = stack.empty() || stack.back().first == SGLLexer::LBRACE;
        if (statement_context && ends_statement(last) && next != SGLLexer::ELSE && next != SGLLexer::LBRACE) {
          emit(SGLLexer::SEMI, t.begin, t.begin, "\n");
        }
        continue;
      }
      auto before = stack.empty() ? std::pair<size_t, uint32_t>{0, 0} : stack.back();
      switch (t.type) {
        case SGLLexer::LPAREN: case SGLLexer::LBRACK: case SGLLexer::LBRACE:
          stack.push_back({t.type, t.begin});
          if (static_cast<int>(stack.size()) > kMaxNesting) {
            diags_.error(&file_, {t.begin, t.end},
                         "brackets nested too deeply (more than " + std::to_string(kMaxNesting) + " levels)");
            r.fatal = true;
            return;
          }
          break;
        case SGLLexer::RPAREN: case SGLLexer::RBRACK: case SGLLexer::RBRACE: {
          size_t open = t.type == SGLLexer::RPAREN ? SGLLexer::LPAREN
                        : t.type == SGLLexer::RBRACK ? SGLLexer::LBRACK : SGLLexer::LBRACE;
          if (!stack.empty() && stack.back().first == open) stack.pop_back();
          if (t.type == SGLLexer::RBRACE && stack.empty()) else_ifs = 0;
          break;
        }
        case SGLLexer::ELSE:
          if (i + 1 < raw.size() && raw[i + 1].type == SGLLexer::IF && ++else_ifs > kMaxElseIfPerDecl) {
            diags_.error(&file_, {t.begin, t.end},
                         "too many 'else if' branches in one declaration (more than " +
                             std::to_string(kMaxElseIfPerDecl) + ")");
            r.fatal = true;
            return;
          }
          break;
        default:
          break;
      }
      if (t.type == SGLLexer::SEMI || t.type == SGLLexer::LBRACE || t.type == SGLLexer::RBRACE) operators = 0;
      if (is_nesting_operator(t.type) && ++operators > kMaxOperatorsPerStatement) {
        diags_.error(&file_, {t.begin, t.end},
                     "statement too long (more than " + std::to_string(kMaxOperatorsPerStatement) +
                         " operators); split it into several statements");
        r.fatal = true;
        return;
      }
      emit(t.type, t.begin, t.end, src.substr(t.begin, t.end - t.begin));
      r.open_before.back() = before;
    }
    if (!stack.empty()) r.innermost_unclosed = Span{stack.back().second, stack.back().second + 1};
    emit(Token::EOF, end_offset, end_offset, "<EOF>");
  }

  const SourceFile& file_;
  DiagnosticEngine& diags_;
};

// ------------------------------------------------------------------ syntax errors in words

bool is_keyword(size_t t) { return t >= SGLLexer::IMPORT && t <= SGLLexer::FALSE; }

std::string describe_token(const Token* t);

// "unexpected end of the file", "unexpected name 'x'".
std::string unexpected(const Token* t) {
  std::string what = describe_token(t);
  if (what.rfind("the end of", 0) == 0) what = what.substr(4);
  return "unexpected " + what;
}

std::string describe_token(const Token* t) {
  size_t type = t->getType();
  if (type == Token::EOF) return "the end of the file";
  if (type == SGLLexer::SEMI) return t->getText() == "\n" ? "the end of the line" : "';'";
  if (type == SGLLexer::IDENT) return "name '" + t->getText() + "'";
  if (type == SGLLexer::INT || type == SGLLexer::FLOAT) return "number " + t->getText();
  if (type == SGLLexer::STRING || type == SGLLexer::TRIPLE_STRING || type == SGLLexer::RAW_STRING) return "a string";
  if (type == SGLLexer::REGEX) return "a regex";
  if (is_keyword(type)) return "keyword '" + t->getText() + "'";
  return "'" + t->getText() + "'";
}

std::string token_name(size_t type, const antlr4::dfa::Vocabulary& vocab) {
  switch (type) {
    case Token::EOF: return "the end of the file";
    case SGLLexer::SEMI: return "a new line";
    case SGLLexer::IDENT: return "a name";
    case SGLLexer::INT: case SGLLexer::FLOAT: return "a number";
    case SGLLexer::STRING: case SGLLexer::TRIPLE_STRING: case SGLLexer::RAW_STRING: return "a string";
    case SGLLexer::REGEX: return "a regex";
    default: break;
  }
  std::string lit = vocab.getLiteralName(type);
  if (!lit.empty()) return lit;  // already quoted: 'fn'
  return vocab.getSymbolicName(type);
}

std::string describe_expected(const antlr4::misc::IntervalSet& set, const antlr4::dfa::Vocabulary& vocab) {
  std::vector<size_t> types;
  for (ssize_t t : set.toList()) types.push_back(static_cast<size_t>(t));
  auto has = [&](size_t t) { return std::find(types.begin(), types.end(), t) != types.end(); };
  auto remove_if = [&](auto pred) { types.erase(std::remove_if(types.begin(), types.end(), pred), types.end()); };
  std::vector<std::string> words;
  bool statement = has(SGLLexer::LET) && has(SGLLexer::IF);
  bool expression = has(SGLLexer::INT) && has(SGLLexer::STRING) && has(SGLLexer::LPAREN);
  bool declaration = has(SGLLexer::FN) && has(SGLLexer::SCHEMA);
  bool type_name = !expression && has(SGLLexer::IDENT) && has(SGLLexer::ENUM) && !declaration;
  auto is_expr_start = [](size_t t) {
    switch (t) {
      case SGLLexer::INT: case SGLLexer::FLOAT: case SGLLexer::TRUE: case SGLLexer::FALSE:
      case SGLLexer::STRING: case SGLLexer::TRIPLE_STRING: case SGLLexer::RAW_STRING: case SGLLexer::REGEX:
      case SGLLexer::IDENT: case SGLLexer::LPAREN: case SGLLexer::LBRACK: case SGLLexer::GEN:
      case SGLLexer::SELECT: case SGLLexer::FORK: case SGLLexer::SPAWN: case SGLLexer::MINUS: case SGLLexer::BANG:
        return true;
      default:
        return false;
    }
  };
  if (declaration) {
    words.push_back("a declaration ('fn', 'schema', 'enum' or 'import')");
    remove_if([](size_t t) {
      return t == SGLLexer::FN || t == SGLLexer::SCHEMA || t == SGLLexer::ENUM || t == SGLLexer::IMPORT || t == SGLLexer::SEMI;
    });
  }
  if (statement) {
    words.push_back("a statement");
    remove_if([&](size_t t) {
      return is_expr_start(t) || (t >= SGLLexer::LET && t <= SGLLexer::ASSISTANT) || t == SGLLexer::SEMI;
    });
  } else if (expression) {
    words.push_back("an expression");
    remove_if(is_expr_start);
  } else if (type_name) {
    words.push_back("a type");
    remove_if([](size_t t) { return t == SGLLexer::IDENT || t == SGLLexer::ENUM; });
  }
  // Operators that could continue an expression are noise next to what is really missing.
  bool has_other = false;
  for (size_t t : types)
    if (!is_nesting_operator(t) && t != SGLLexer::ASSIGN && t != SGLLexer::PLUS_ASSIGN) has_other = true;
  if (has_other || !words.empty()) {
    remove_if([](size_t t) { return is_nesting_operator(t) && t != SGLLexer::LPAREN && t != SGLLexer::LBRACK; });
    // '(' and '[' here would only continue an expression as a call or an index.
    if (!types.empty() && (has(SGLLexer::RPAREN) || has(SGLLexer::RBRACK) || has(SGLLexer::COMMA) ||
                           has(SGLLexer::RBRACE) || has(SGLLexer::SEMI) || !words.empty()))
      remove_if([](size_t t) { return t == SGLLexer::LPAREN || t == SGLLexer::LBRACK; });
  }
  for (size_t t : types) words.push_back(token_name(t, vocab));
  if (words.empty()) return "";
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i) out += (i + 1 == words.size()) ? " or " : ", ";
    out += words[i];
  }
  return out;
}

struct SyntaxErrorSink {
  const SourceFile* file;
  DiagnosticEngine* diags;
  const TokenizedRegion* region;
  int count = 0;
  uint32_t last_line = 0;
  bool last_at_top = true;  // was the last error at the top level (not inside a declaration)?

  static const char* closer_for(size_t open) {
    return open == SGLLexer::LPAREN ? ")" : open == SGLLexer::LBRACK ? "]" : "}";
  }

  void report(const Token* tok, std::string msg, bool top = false) {
    ++count;
    last_at_top = top;
    uint32_t b = static_cast<uint32_t>(tok->getStartIndex());
    uint32_t e = tok->getType() == Token::EOF || tok->getText() == "\n" ? b : static_cast<uint32_t>(tok->getStopIndex()) + 1;
    // After recovery, further errors on the same line are almost always echoes of the first.
    uint32_t line = file->line_col(b).line;
    if (line == last_line) return;
    for (uint32_t l : region->lex_error_lines)
      if (l == line) return;
    // Hitting the end of the file after an earlier error is nearly always that error's echo.
    if (tok->getType() == Token::EOF && count > 1) return;
    last_line = line;
    // A closer that does not match the innermost open bracket, or the end of the file with a
    // bracket still open: say which bracket is unclosed.
    size_t type = tok->getType();
    size_t idx = tok->getTokenIndex();
    if (idx < region->open_before.size() && region->open_before[idx].first != 0) {
      auto [open, at] = region->open_before[idx];
      bool closer = type == SGLLexer::RPAREN || type == SGLLexer::RBRACK || type == SGLLexer::RBRACE;
      size_t want = open == SGLLexer::LPAREN ? SGLLexer::RPAREN : open == SGLLexer::LBRACK ? SGLLexer::RBRACK : SGLLexer::RBRACE;
      if ((closer && type != want) || type == Token::EOF) {
        LineCol lc = file->line_col(at);
        msg = std::string("expected '") + closer_for(open) + "' to close the '" + file->text()[at] + "' opened at " +
              std::to_string(lc.line) + ":" + std::to_string(lc.col) + ", found " + describe_token(tok);
      }
    }
    diags->error(file, {b, e}, msg);
  }
};

class WordyErrorStrategy : public antlr4::DefaultErrorStrategy {
 public:
  explicit WordyErrorStrategy(SyntaxErrorSink& sink) : sink_(sink) {}

  // At the top level, anything that does not start a declaration is skipped up to the next
  // 'fn', 'schema', 'enum' or 'import', with one error; the default recovery would eat the next
  // function instead and report its body line by line.
  void sync(antlr4::Parser* p) override {
    if (p->getContext()->getRuleIndex() != SGLParser::RuleProgram) {
      DefaultErrorStrategy::sync(p);
      return;
    }
    auto starts_decl = [](size_t t) {
      return t == SGLLexer::FN || t == SGLLexer::SCHEMA || t == SGLLexer::ENUM || t == SGLLexer::IMPORT ||
             t == SGLLexer::SEMI || t == Token::EOF;
    };
    Token* t = p->getCurrentToken();
    if (starts_decl(t->getType())) return;
    // Leftovers of a declaration that already failed are skipped silently.
    if (!inErrorRecoveryMode(p) && (sink_.count == 0 || sink_.last_at_top)) {
      beginErrorCondition(p);
      sink_.report(t, unexpected(t) + "; expected a declaration ('fn', 'schema', 'enum' or 'import') or the end of the file",
                   true);
    }
    while (!starts_decl(p->getCurrentToken()->getType())) p->consume();
    endErrorCondition(p);
  }

  // Same idea after an error inside a top-level decision: skip to the next declaration.
  void recover(antlr4::Parser* p, std::exception_ptr e) override {
    if (p->getContext()->getRuleIndex() != SGLParser::RuleProgram) {
      DefaultErrorStrategy::recover(p, e);
      return;
    }
    if (p->getCurrentToken()->getType() != Token::EOF) p->consume();
    for (size_t t = p->getCurrentToken()->getType(); t != Token::EOF && t != SGLLexer::FN && t != SGLLexer::SCHEMA &&
                                                       t != SGLLexer::ENUM && t != SGLLexer::IMPORT;
         t = p->getCurrentToken()->getType()) {
      p->consume();
    }
  }

 protected:
  void reportNoViableAlternative(antlr4::Parser* p, const antlr4::NoViableAltException& e) override {
    Token* t = e.getOffendingToken();
    size_t idx = t->getTokenIndex();
    const auto& open = sink_.region->open_before;
    if (idx < open.size() && (open[idx].first == SGLLexer::LPAREN || open[idx].first == SGLLexer::LBRACK) &&
        t->getType() != SGLLexer::RPAREN && t->getType() != SGLLexer::RBRACK && t->getType() != SGLLexer::RBRACE &&
        t->getType() != Token::EOF) {
      sink_.report(t, unexpected(t) + "; expected ',' or '" + (open[idx].first == SGLLexer::LPAREN ? ")" : "]") + "'");
      return;
    }
    report_unexpected(p, t, p->getExpectedTokens());
  }
  void reportInputMismatch(antlr4::Parser* p, const antlr4::InputMismatchException& e) override {
    report_unexpected(p, e.getOffendingToken(), e.getExpectedTokens());
  }
  void reportFailedPredicate(antlr4::Parser* p, const antlr4::FailedPredicateException& e) override {
    report_unexpected(p, e.getOffendingToken(), p->getExpectedTokens());
  }
  void reportUnwantedToken(antlr4::Parser* p) override {
    if (inErrorRecoveryMode(p)) return;
    beginErrorCondition(p);
    Token* t = p->getCurrentToken();
    std::string expected = describe_expected(getExpectedTokens(p), p->getVocabulary());
    std::string msg = unexpected(t);
    if (!expected.empty()) msg += "; expected " + expected;
    sink_.report(t, msg);
  }
  void reportMissingToken(antlr4::Parser* p) override {
    if (inErrorRecoveryMode(p)) return;
    beginErrorCondition(p);
    Token* t = p->getCurrentToken();
    std::string expected = describe_expected(getExpectedTokens(p), p->getVocabulary());
    sink_.report(t, "expected " + expected + ", found " + describe_token(t));
  }

 private:
  void report_unexpected(antlr4::Parser* p, Token* t, const antlr4::misc::IntervalSet& expected_set) {
    std::string expected = describe_expected(expected_set, p->getVocabulary());
    size_t type = t->getType();
    std::string msg;
    if (is_keyword(type) && expected_set.contains(static_cast<size_t>(SGLLexer::IDENT)) && !expected_set.contains(type)) {
      msg = "'" + t->getText() + "' is a keyword and cannot be used as a name";
    } else if (type == SGLLexer::RBRACE && expected.empty()) {
      msg = "unexpected '}'";
    } else if (expected.empty()) {
      msg = unexpected(t);
    } else {
      msg = "expected " + expected + ", found " + describe_token(t);
    }
    sink_.report(t, msg);
  }

  SyntaxErrorSink& sink_;
};

// ------------------------------------------------------------------ parse tree -> AST

class AstBuilder {
 public:
  AstBuilder(const SourceFile& file, DiagnosticEngine& diags) : file_(file), diags_(diags) {}

  std::unique_ptr<ast::Module> program(SGLParser::ProgramContext* ctx) {
    auto m = std::make_unique<ast::Module>();
    m->file = &file_;
    for (auto* d : ctx->decl()) {
      if (auto* i = d->importDecl()) m->decls.push_back(import_decl(i));
      else if (auto* f = d->fnDecl()) m->decls.push_back(fn_decl(f));
      else if (auto* s = d->schemaDecl()) m->decls.push_back(schema_decl(s));
      else if (auto* e = d->enumDecl()) m->decls.push_back(enum_decl(e));
    }
    return m;
  }

  ast::ExprPtr interpolation_expr(SGLParser::InterpolationContext* ctx) { return expr(ctx->expr()); }

  // Parses the interpolations of a string token; set by the driver of this builder.
  std::function<ast::ExprPtr(uint32_t, uint32_t)> parse_interpolation;

 private:
  static Span span(antlr4::ParserRuleContext* ctx) {
    uint32_t b = static_cast<uint32_t>(ctx->getStart()->getStartIndex());
    Token* stop = ctx->getStop();
    uint32_t e = stop && stop->getType() != Token::EOF && stop->getStopIndex() + 1 >= stop->getStartIndex()
                     ? static_cast<uint32_t>(stop->getStopIndex()) + 1
                     : b;
    return {b, std::max(b, e)};
  }
  static Span span(antlr4::tree::TerminalNode* n) { return span(n->getSymbol()); }
  static Span span(Token* t) {
    return {static_cast<uint32_t>(t->getStartIndex()), static_cast<uint32_t>(t->getStopIndex()) + 1};
  }

  ast::DeclPtr import_decl(SGLParser::ImportDeclContext* ctx) {
    auto d = std::make_unique<ast::Import>(span(ctx));
    for (auto* id : ctx->IDENT()) d->path.push_back(id->getText());
    d->name = d->path.back();
    d->name_span = span(ctx->IDENT().back());
    return d;
  }

  ast::DeclPtr fn_decl(SGLParser::FnDeclContext* ctx) {
    auto d = std::make_unique<ast::FnDecl>(span(ctx));
    d->name = ctx->IDENT()->getText();
    d->name_span = span(ctx->IDENT());
    if (auto* pl = ctx->paramList()) {
      for (auto* pc : pl->param()) {
        ast::Param p;
        p.name = pc->IDENT()->getText();
        p.name_span = span(pc->IDENT());
        p.type = std::move(*type_ref(pc->typeRef()));
        if (pc->expr()) p.default_value = expr(pc->expr());
        d->params.push_back(std::move(p));
      }
    }
    if (ctx->typeRef()) d->return_type = type_ref(ctx->typeRef());
    d->body = block(ctx->block());
    return d;
  }

  ast::DeclPtr schema_decl(SGLParser::SchemaDeclContext* ctx) {
    auto d = std::make_unique<ast::SchemaDecl>(span(ctx));
    d->name = ctx->IDENT()->getText();
    d->name_span = span(ctx->IDENT());
    for (auto* fc : ctx->field()) {
      ast::Field f;
      f.name = fc->IDENT()->getText();
      f.name_span = span(fc->IDENT());
      f.optional = fc->QUESTION() != nullptr;
      f.type = std::move(*type_ref(fc->typeRef()));
      d->fields.push_back(std::move(f));
    }
    return d;
  }

  ast::DeclPtr enum_decl(SGLParser::EnumDeclContext* ctx) {
    auto d = std::make_unique<ast::EnumDecl>(span(ctx));
    d->name = ctx->IDENT()->getText();
    d->name_span = span(ctx->IDENT());
    for (auto* vc : ctx->enumValue()) {
      if (vc->IDENT()) {
        d->values.push_back(vc->IDENT()->getText());
      } else {
        d->values.push_back(constant_string(vc->STRING()->getSymbol()));
      }
      d->value_spans.push_back(span(vc));
    }
    return d;
  }

  std::unique_ptr<ast::TypeRef> type_ref(SGLParser::TypeRefContext* ctx) {
    auto t = std::make_unique<ast::TypeRef>();
    t->span = span(ctx);
    if (auto* n = dynamic_cast<SGLParser::NamedTypeContext*>(ctx)) {
      t->name = n->IDENT()->getText();
      if (n->typeRef()) t->arg = type_ref(n->typeRef());
    } else if (auto* e = dynamic_cast<SGLParser::InlineEnumTypeContext*>(ctx)) {
      t->inline_enum = true;
      for (auto* s : e->STRING()) {
        t->enum_values.push_back(constant_string(s->getSymbol()));
        t->enum_value_spans.push_back(span(s));
      }
    }
    return t;
  }

  ast::Block block(SGLParser::BlockContext* ctx) {
    ast::Block b;
    b.span = span(ctx);
    bool separated = true;
    for (auto* sc : ctx->stmt()) {
      ast::StmtPtr s = stmt(sc);
      if (!s) {
        separated = true;
        continue;
      }
      // Two statements need a newline or ';' between them (`let a = 1 let b = 2` is a mistake).
      if (!separated) {
        diags_.error(&file_, span(sc->getStart()),
                     "expected the end of the line or ';', found " + describe_token(sc->getStart()));
      }
      separated = false;
      b.stmts.push_back(std::move(s));
    }
    return b;
  }

  ast::StmtPtr stmt(SGLParser::StmtContext* ctx) {
    Span sp = span(ctx);
    if (auto* c = dynamic_cast<SGLParser::LetStmtContext*>(ctx)) {
      auto s = std::make_unique<ast::Let>(sp);
      s->name = c->IDENT()->getText();
      s->name_span = span(c->IDENT());
      if (c->typeRef()) s->declared_type = type_ref(c->typeRef());
      s->value = expr(c->expr());
      return s;
    }
    if (auto* c = dynamic_cast<SGLParser::AssignStmtContext*>(ctx)) {
      auto s = std::make_unique<ast::Assign>(sp);
      s->name = c->IDENT()->getText();
      s->name_span = span(c->IDENT());
      s->append = c->op->getType() == SGLLexer::PLUS_ASSIGN;
      s->value = expr(c->expr());
      return s;
    }
    if (auto* c = dynamic_cast<SGLParser::IfStatementContext*>(ctx)) return if_stmt(c->ifStmt());
    if (auto* c = dynamic_cast<SGLParser::ForStmtContext*>(ctx)) {
      auto s = std::make_unique<ast::For>(sp);
      s->var = c->IDENT()->getText();
      s->var_span = span(c->IDENT());
      s->iterable = expr(c->expr());
      s->body = block(c->block());
      return s;
    }
    if (auto* c = dynamic_cast<SGLParser::WhileStmtContext*>(ctx)) {
      auto s = std::make_unique<ast::While>(sp);
      s->cond = expr(c->expr());
      s->body = block(c->block());
      return s;
    }
    if (dynamic_cast<SGLParser::BreakStmtContext*>(ctx)) return std::make_unique<ast::Break>(sp);
    if (dynamic_cast<SGLParser::ContinueStmtContext*>(ctx)) return std::make_unique<ast::Continue>(sp);
    if (auto* c = dynamic_cast<SGLParser::ReturnStmtContext*>(ctx)) {
      auto s = std::make_unique<ast::Return>(sp);
      if (c->expr()) s->value = expr(c->expr());
      return s;
    }
    if (auto* c = dynamic_cast<SGLParser::RoleStmtContext*>(ctx)) {
      ast::Role role = c->role->getType() == SGLLexer::SYSTEM ? ast::Role::System
                       : c->role->getType() == SGLLexer::USER ? ast::Role::User
                                                                : ast::Role::Assistant;
      auto s = std::make_unique<ast::RoleStmt>(sp, role);
      s->role_span = span(c->role);
      if (c->block()) {
        s->body = block(c->block());
      } else {
        s->inline_items = true;
        auto items = std::make_unique<ast::Append>(Span{span(c->expr().front()).begin, sp.end});
        items->role_inline = true;
        for (auto* e : c->expr()) items->items.push_back(expr(e));
        s->body.span = items->span;
        s->body.stmts.push_back(std::move(items));
      }
      return s;
    }
    if (auto* c = dynamic_cast<SGLParser::AppendStmtContext*>(ctx)) {
      auto s = std::make_unique<ast::Append>(sp);
      for (auto* e : c->expr()) s->items.push_back(expr(e));
      return s;
    }
    return nullptr;  // empty statement
  }

  ast::StmtPtr if_stmt(SGLParser::IfStmtContext* c) {
    auto s = std::make_unique<ast::If>(span(c));
    s->cond = expr(c->expr());
    auto blocks = c->block();
    s->then_block = block(blocks[0]);
    if (c->ifStmt()) s->else_if = if_stmt(c->ifStmt());
    else if (blocks.size() > 1) s->else_block = std::make_unique<ast::Block>(block(blocks[1]));
    return s;
  }

  std::vector<ast::Arg> args(SGLParser::ArgListContext* ctx) {
    std::vector<ast::Arg> out;
    if (!ctx) return out;
    for (auto* ac : ctx->arg()) {
      ast::Arg a;
      if (ac->IDENT()) {
        a.name = ac->IDENT()->getText();
        a.name_span = span(ac->IDENT());
      }
      a.value = expr(ac->expr());
      out.push_back(std::move(a));
    }
    return out;
  }

  static ast::BinaryOp binary_op(size_t t) {
    switch (t) {
      case SGLLexer::STAR: return ast::BinaryOp::Mul;
      case SGLLexer::SLASH: return ast::BinaryOp::Div;
      case SGLLexer::PERCENT: return ast::BinaryOp::Mod;
      case SGLLexer::PLUS: return ast::BinaryOp::Add;
      case SGLLexer::MINUS: return ast::BinaryOp::Sub;
      case SGLLexer::LT: return ast::BinaryOp::Lt;
      case SGLLexer::LE: return ast::BinaryOp::Le;
      case SGLLexer::GT: return ast::BinaryOp::Gt;
      case SGLLexer::GE: return ast::BinaryOp::Ge;
      case SGLLexer::EQ: return ast::BinaryOp::Eq;
      case SGLLexer::NE: return ast::BinaryOp::Ne;
      case SGLLexer::TILDE: return ast::BinaryOp::Match;
      case SGLLexer::AND: return ast::BinaryOp::And;
      default: return ast::BinaryOp::Or;
    }
  }

  ast::ExprPtr expr(SGLParser::ExprContext* ctx) {
    Span sp = span(ctx);
    if (auto* c = dynamic_cast<SGLParser::PrimaryExprContext*>(ctx)) return primary(c->primary());
    if (auto* c = dynamic_cast<SGLParser::MemberExprContext*>(ctx))
      return std::make_unique<ast::Member>(sp, expr(c->expr()), c->IDENT()->getText(), span(c->IDENT()));
    if (auto* c = dynamic_cast<SGLParser::IndexExprContext*>(ctx))
      return std::make_unique<ast::Index>(sp, expr(c->expr(0)), expr(c->expr(1)));
    if (auto* c = dynamic_cast<SGLParser::CallExprContext*>(ctx)) {
      auto call = std::make_unique<ast::Call>(sp, expr(c->expr()));
      call->args = args(c->argList());
      return call;
    }
    if (auto* c = dynamic_cast<SGLParser::UnaryExprContext*>(ctx)) {
      auto op = c->op->getType() == SGLLexer::MINUS ? ast::UnaryOp::Neg : ast::UnaryOp::Not;
      return std::make_unique<ast::Unary>(sp, op, expr(c->expr()));
    }
    auto* c = static_cast<SGLParser::BinaryExprContext*>(ctx);
    return std::make_unique<ast::Binary>(sp, binary_op(c->op->getType()), span(c->op), expr(c->expr(0)),
                                         expr(c->expr(1)));
  }

  ast::ExprPtr primary(SGLParser::PrimaryContext* ctx) {
    Span sp = span(ctx);
    if (dynamic_cast<SGLParser::IntLitContext*>(ctx)) return int_lit(ctx->getText(), sp);
    if (dynamic_cast<SGLParser::FloatLitContext*>(ctx)) return float_lit(ctx->getText(), sp);
    if (dynamic_cast<SGLParser::BoolLitContext*>(ctx)) return std::make_unique<ast::BoolLit>(sp, ctx->getText() == "true");
    if (dynamic_cast<SGLParser::StringLitContext*>(ctx)) return string_lit(ctx->getStart());
    if (dynamic_cast<SGLParser::RawStringLitContext*>(ctx)) {
      auto s = std::make_unique<ast::StringLit>(sp);
      s->raw = true;
      std::string text = ctx->getText();
      s->parts.push_back({text.substr(2, text.size() - 3), nullptr});
      return s;
    }
    if (dynamic_cast<SGLParser::RegexLitContext*>(ctx)) {
      std::string text = ctx->getText();
      return std::make_unique<ast::RegexLit>(sp, text.substr(1, text.size() - 2));
    }
    if (auto* c = dynamic_cast<SGLParser::NameRefContext*>(ctx)) return std::make_unique<ast::NameRef>(sp, c->IDENT()->getText());
    if (auto* c = dynamic_cast<SGLParser::ParenExprContext*>(ctx)) return expr(c->expr());
    if (auto* c = dynamic_cast<SGLParser::ListLitContext*>(ctx)) {
      auto l = std::make_unique<ast::ListLit>(sp);
      for (auto* e : c->expr()) l->items.push_back(expr(e));
      return l;
    }
    if (auto* c = dynamic_cast<SGLParser::GenExprContext*>(ctx)) {
      auto g = std::make_unique<ast::Gen>(sp);
      if (c->IDENT()) {
        g->name = c->IDENT()->getText();
        g->name_span = span(c->IDENT());
      }
      g->options = args(c->argList());
      if (c->typeRef()) g->target_type = type_ref(c->typeRef());
      return g;
    }
    if (auto* c = dynamic_cast<SGLParser::SelectExprContext*>(ctx)) {
      auto s = std::make_unique<ast::Select>(sp);
      if (c->IDENT()) {
        s->name = c->IDENT()->getText();
        s->name_span = span(c->IDENT());
      }
      s->args = args(c->argList());
      return s;
    }
    if (auto* c = dynamic_cast<SGLParser::ForkExprContext*>(ctx)) {
      auto f = std::make_unique<ast::Fork>(sp);
      if (c->IDENT()) {
        f->var = c->IDENT()->getText();
        f->var_span = span(c->IDENT());
        f->list = expr(c->expr());
      } else {
        f->count = expr(c->expr());
      }
      f->body = std::make_unique<ast::Block>(block(c->block()));
      return f;
    }
    auto* c = static_cast<SGLParser::SpawnExprContext*>(ctx);
    return std::make_unique<ast::Spawn>(sp, expr(c->expr()));
  }

  ast::ExprPtr int_lit(const std::string& text, Span sp) {
    std::string digits;
    for (char ch : text)
      if (ch != '_') digits += ch;
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) {
      diags_.error(&file_, sp, "integer literal is too large (the largest int is 9223372036854775807)");
      v = 0;
    }
    return std::make_unique<ast::IntLit>(sp, v);
  }

  ast::ExprPtr float_lit(const std::string& text, Span sp) {
    std::string digits;
    for (char ch : text)
      if (ch != '_') digits += ch;
    errno = 0;
    double v = std::strtod(digits.c_str(), nullptr);
    if (errno == ERANGE && (v > 1 || v < -1)) {
      diags_.error(&file_, sp, "float literal is out of range");
      v = 0;
    }
    return std::make_unique<ast::FloatLit>(sp, v);
  }

  // Decodes escapes of a string token that has no interpolation (enum values, inline enums).
  std::string constant_string(Token* tok) {
    ast::ExprPtr e = string_lit(tok);
    auto& s = e->as<ast::StringLit>();
    if (!s.is_constant()) diags_.error(&file_, s.span, "this string must be constant: it cannot contain {interpolation}");
    return s.constant_text();
  }

  // Splits a "..." or """...""" token into text and {expr} parts, decoding escapes.
  ast::ExprPtr string_lit(Token* tok) {
    Span sp = span(tok);
    auto s = std::make_unique<ast::StringLit>(sp);
    const std::string& src = file_.text();
    size_t quote = tok->getType() == SGLLexer::TRIPLE_STRING ? 3 : 1;
    uint32_t i = sp.begin + quote;
    uint32_t end = sp.end >= sp.begin + 2 * quote ? sp.end - quote : i;
    std::string text;
    auto flush = [&] {
      if (!text.empty()) s->parts.push_back({std::move(text), nullptr});
      text.clear();
    };
    while (i < end) {
      char ch = src[i];
      if (ch == '\\' && i + 1 < end) {
        i = escape(i, end, text);
        continue;
      }
      if (ch == '{') {
        uint32_t close = matching_brace(i, end);
        flush();
        uint32_t a = i + 1, b = close;
        // Trim spaces so the interpolation's span starts at its expression.
        while (a < b && (src[a] == ' ' || src[a] == '\t')) ++a;
        while (b > a && (src[b - 1] == ' ' || src[b - 1] == '\t')) --b;
        if (a == b) {
          diags_.error(&file_, {i, close + 1}, "empty interpolation '{}'; write \\{ for a literal brace");
        } else if (parse_interpolation) {
          if (ast::ExprPtr e = parse_interpolation(a, b - a)) s->parts.push_back({"", std::move(e)});
        }
        i = close + 1;
        continue;
      }
      text += ch;
      ++i;
    }
    flush();
    return s;
  }

  uint32_t matching_brace(uint32_t open, uint32_t end) const {
    const std::string& src = file_.text();
    uint32_t i = open + 1;
    while (i < end && src[i] != '}') {
      if (src[i] == '"') {  // a plain string inside the interpolation
        ++i;
        while (i < end && src[i] != '"') i += src[i] == '\\' ? 2 : 1;
      }
      ++i;
    }
    return std::min(i, end);
  }

  // Decodes the escape at src[i] ('\\') into out; returns the index after it.
  uint32_t escape(uint32_t i, uint32_t end, std::string& out) {
    const std::string& src = file_.text();
    char c = src[i + 1];
    switch (c) {
      case 'n': out += '\n'; return i + 2;
      case 't': out += '\t'; return i + 2;
      case 'r': out += '\r'; return i + 2;
      case '0': out += '\0'; return i + 2;
      case '\\': out += '\\'; return i + 2;
      case '"': out += '"'; return i + 2;
      case '\'': out += '\''; return i + 2;
      case '{': out += '{'; return i + 2;
      case '}': out += '}'; return i + 2;
      case 'u': {
        uint32_t j = i + 2;
        if (j < end && src[j] == '{') {
          uint32_t k = j + 1;
          uint32_t cp = 0;
          int digits = 0;
          while (k < end && std::isxdigit(static_cast<unsigned char>(src[k])) && digits < 7) {
            cp = cp * 16 + static_cast<uint32_t>(std::stoi(std::string(1, src[k]), nullptr, 16));
            ++k;
            ++digits;
          }
          if (k < end && src[k] == '}' && digits >= 1 && digits <= 6 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) {
            append_utf8(cp, out);
            return k + 1;
          }
          diags_.error(&file_, {i, std::min(k + 1, end)},
                       "invalid unicode escape; write \\u{XXXX} with 1 to 6 hex digits of a valid code point");
          return std::min(k + 1, end);
        }
        diags_.error(&file_, {i, i + 2}, "invalid unicode escape; write \\u{XXXX} with 1 to 6 hex digits");
        return i + 2;
      }
      default: {
        uint32_t len = static_cast<uint32_t>(utf8_sequence_length(static_cast<unsigned char>(c)));
        diags_.error(&file_, {i, i + 1 + len},
                     "unknown escape sequence '\\" + src.substr(i + 1, len) +
                         "' (known: \\n \\t \\r \\0 \\\\ \\\" \\' \\{ \\} \\u{XXXX})");
        return i + 1 + len;
      }
    }
  }

  static void append_utf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  const SourceFile& file_;
  DiagnosticEngine& diags_;
};

// Runs the parser on one token region: SLL with bail-out first; on failure the full LL parse
// with recovery, which reports every syntax error it can.
template <class Ctx>
Ctx* run_parser(SGLParser& parser, TokenizedRegion& region, antlr4::CommonTokenStream& stream, SyntaxErrorSink& sink,
                Ctx* (SGLParser::*rule)()) {
  parser.removeErrorListeners();
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::SLL);
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  try {
    return (parser.*rule)();
  } catch (antlr4::ParseCancellationException&) {
  }
  stream.seek(0);
  parser.reset();
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::LL);
  parser.setErrorHandler(std::make_shared<WordyErrorStrategy>(sink));
  (void)region;
  Ctx* ctx = (parser.*rule)();
  return sink.count > 0 ? nullptr : ctx;
}

class ModuleParser {
 public:
  ModuleParser(const SourceFile& file, DiagnosticEngine& diags) : file_(file), diags_(diags), lexing_(file, diags) {}

  std::unique_ptr<ast::Module> parse() {
    TokenizedRegion region = lexing_.run(0, static_cast<uint32_t>(file_.text().size()));
    if (region.fatal) return nullptr;
    antlr4::ListTokenSource source(std::move(region.tokens), file_.path());
    antlr4::CommonTokenStream stream(&source);
    SGLParser parser(&stream);
    SyntaxErrorSink sink{&file_, &diags_, &region};
    auto* tree = run_parser(parser, region, stream, sink, &SGLParser::program);
    if (!tree || region.lex_errors > 0) return nullptr;

    AstBuilder builder(file_, diags_);
    builder.parse_interpolation = [this](uint32_t base, uint32_t len) { return parse_interpolation(base, len); };
    auto module = builder.program(tree);
    attach_doc_comments(*module, region.doc_comments);
    return module;
  }

 private:
  ast::ExprPtr parse_interpolation(uint32_t base, uint32_t len) {
    TokenizedRegion region = lexing_.run(base, len);
    if (region.fatal || region.lex_errors > 0) return nullptr;
    antlr4::ListTokenSource source(std::move(region.tokens), file_.path());
    antlr4::CommonTokenStream stream(&source);
    SGLParser parser(&stream);
    SyntaxErrorSink sink{&file_, &diags_, &region};
    auto* tree = run_parser(parser, region, stream, sink, &SGLParser::interpolation);
    if (!tree) return nullptr;
    AstBuilder builder(file_, diags_);
    builder.parse_interpolation = [this](uint32_t b, uint32_t l) { return parse_interpolation(b, l); };
    return builder.interpolation_expr(tree);
  }

  // A run of /// lines directly above a declaration documents it; any other is reported.
  void attach_doc_comments(ast::Module& m, const std::vector<LexTok>& docs) {
    std::vector<bool> used(docs.size(), false);
    for (auto& d : m.decls) {
      uint32_t line = file_.line_col(d->span.begin).line;
      std::vector<std::string> lines;
      for (size_t k = docs.size(); k-- > 0;) {
        uint32_t dl = file_.line_col(docs[k].begin).line;
        if (dl + 1 + lines.size() != line) continue;
        std::string text = file_.text().substr(docs[k].begin + 3, docs[k].end - docs[k].begin - 3);
        if (!text.empty() && text[0] == ' ') text.erase(0, 1);
        lines.insert(lines.begin(), text);
        used[k] = true;
      }
      for (size_t k = 0; k < lines.size(); ++k) d->doc += (k ? "\n" : "") + lines[k];
    }
    for (size_t k = 0; k < docs.size(); ++k) {
      if (!used[k]) {
        diags_.warning(&file_, {docs[k].begin, docs[k].begin + 3},
                       "doc comment is not attached to a declaration (use // for a plain comment)");
      }
    }
  }

  const SourceFile& file_;
  DiagnosticEngine& diags_;
  Lexing lexing_;
};

}  // namespace

std::unique_ptr<ast::Module> parse_module(const SourceFile& file, DiagnosticEngine& diags) {
  ModuleParser p(file, diags);
  return p.parse();
}

}  // namespace sgl
