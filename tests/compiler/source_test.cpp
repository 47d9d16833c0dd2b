#include "source.h"

#include <doctest/doctest.h>

using sgl::SourceFile;

TEST_CASE("line and column are 1-based and count code points") {
  SourceFile f("x.sgl", "ab\ncé d\r\nlast");
  CHECK(f.line_col(0).line == 1);
  CHECK(f.line_col(0).col == 1);
  CHECK(f.line_col(3).line == 2);
  // 'é' is two bytes but one column.
  CHECK(f.line_col(6).col == 3);
  CHECK(f.line_col(7).col == 4);
  CHECK(f.line_col(10).line == 3);
  CHECK(f.line_text(2) == "cé d");
  CHECK(f.line_text(3) == "last");
}

TEST_CASE("invalid UTF-8 is found at its first bad byte") {
  CHECK(sgl::find_invalid_utf8("plain") == std::string::npos);
  CHECK(sgl::find_invalid_utf8("caf\xc3\xa9") == std::string::npos);
  CHECK(sgl::find_invalid_utf8("ab\xff") == 2);
  CHECK(sgl::find_invalid_utf8("\xc0\x80") == 0);          // overlong
  CHECK(sgl::find_invalid_utf8("x\xed\xa0\x80") == 1);     // surrogate
  CHECK(sgl::find_invalid_utf8("\xe2\x82") == 0);          // truncated
}
