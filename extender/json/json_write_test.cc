// AppendJsonString must escape exactly as Go's json.Marshal (HTML-safe) does.
#include "extender/json/json_write.h"

#include <gtest/gtest.h>

namespace quotient::extender {
namespace {

std::string Quote(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

TEST(JsonWriteTest, EscapesLikeGoEncodingJson) {
  struct Case {
    std::string_view in;
    std::string_view want;
  };
  const Case cases[] = {
      {"plain", R"("plain")"},
      {"", R"("")"},
      {"quote\" back\\slash", R"("quote\" back\\slash")"},
      {"nl\ncr\rtab\t", R"("nl\ncr\rtab\t")"},
      {std::string_view("\x01\x1f", 2), R"("\u0001\u001f")"},
      {"<a & b>", R"("\u003ca \u0026 b\u003e")"},
      {"Zo\xc3\xab", "\"Zo\xc3\xab\""},                     // valid UTF-8 passes through
      {"\xe2\x80\xa8|\xe2\x80\xa9", R"("\u2028|\u2029")"},  // line/paragraph separators
      {"bad\xff", R"("bad\ufffd")"},                        // invalid UTF-8 byte
      {"\xc3", R"("\ufffd")"},                              // truncated sequence
      {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},         // 4-byte sequence
      {"\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")"},          // surrogate: each byte replaced
  };
  for (const auto& c : cases) EXPECT_EQ(Quote(c.in), c.want) << c.in;
}

}  // namespace
}  // namespace quotient::extender
