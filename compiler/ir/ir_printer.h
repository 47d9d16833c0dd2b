// The stable text form of SGL IR: what `sglc run FILE --emit=ir`, SGL_DEBUG=2 and the golden IR
// tests print. Stable means: the same module always prints the same text.
#pragma once

#include <iosfwd>
#include <string>

#include "ir/ir.h"

namespace sgl::ir {

void print_module(const Module& m, std::ostream& out);
void print_function(const Module& m, const Function& f, std::ostream& out);
std::string to_text(const Module& m);
// A string constant as the printer quotes it ("a\n\"b\"").
std::string quote(const std::string& s);

}  // namespace sgl::ir
