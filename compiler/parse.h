// Source text -> AST. This is the only part of sglc that sees ANTLR: parse.cpp runs the generated
// lexer and parser (grammar/SGL.g4), turns syntax errors into plain words, and converts the parse
// tree into our own AST (compiler/ast.h).
#pragma once

#include <memory>

#include "ast.h"
#include "diagnostics.h"

namespace sgl {

// Limits that keep hostile input from exhausting the stack (see docs/language.md, "Limits").
inline constexpr int kMaxNesting = 256;             // open brackets at once
inline constexpr int kMaxOperatorsPerStatement = 10000;
inline constexpr int kMaxElseIfPerDecl = 10000;

// Parses one file. Returns null when the file has syntax errors (each one reported to `diags`);
// otherwise a module, possibly with errors found while building it (bad escapes, literals out
// of range), which are reported too. Must run on a thread with a large stack (see frontend.h).
std::unique_ptr<ast::Module> parse_module(const SourceFile& file, DiagnosticEngine& diags);

}  // namespace sgl
