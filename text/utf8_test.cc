// Strict UTF-8: what is one sequence, and what a printer must escape.
#include "text/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace quotient::text {
namespace {

size_t LengthOf(std::string_view s, uint32_t* rune = nullptr) {
  uint32_t r = 0;
  const size_t n = Utf8SequenceLength(s, 0, &r);
  if (rune != nullptr) *rune = r;
  return n;
}

TEST(Utf8Test, WellFormedSequencesOfTwoThreeAndFourBytes) {
  uint32_t rune = 0;
  EXPECT_EQ(LengthOf("\xC3\xA9", &rune), 2u);  // é
  EXPECT_EQ(rune, 0xE9u);
  EXPECT_EQ(LengthOf("\xE2\x82\xAC", &rune), 3u);  // €
  EXPECT_EQ(rune, 0x20ACu);
  EXPECT_EQ(LengthOf("\xF0\x9F\x98\x80", &rune), 4u);  // U+1F600
  EXPECT_EQ(rune, 0x1F600u);
  EXPECT_EQ(LengthOf("\xF4\x8F\xBF\xBF", &rune), 4u);  // U+10FFFF, the last code point
  EXPECT_EQ(Utf8SequenceLength("ab\xC3\xA9", 2, &rune), 2u);
}

TEST(Utf8Test, OverlongFormsAreNotUtf8) {
  EXPECT_EQ(LengthOf("\xC0\x8A"), 0u);          // a newline in two bytes
  EXPECT_EQ(LengthOf("\xC1\xBF"), 0u);          // DEL in two bytes
  EXPECT_EQ(LengthOf("\xE0\x80\x8A"), 0u);      // a newline in three bytes
  EXPECT_EQ(LengthOf("\xE0\x82\x85"), 0u);      // NEL in three bytes
  EXPECT_EQ(LengthOf("\xF0\x80\x80\x8A"), 0u);  // a newline in four bytes
}

TEST(Utf8Test, SurrogatesAndCodePointsPastTheLastAreNotUtf8) {
  EXPECT_EQ(LengthOf("\xED\xA0\x80"), 0u);      // U+D800
  EXPECT_EQ(LengthOf("\xED\xBF\xBF"), 0u);      // U+DFFF
  EXPECT_EQ(LengthOf("\xF4\x90\x80\x80"), 0u);  // U+110000
  EXPECT_EQ(LengthOf("\xF5\x80\x80\x80"), 0u);
  EXPECT_EQ(LengthOf("\xFF"), 0u);
}

TEST(Utf8Test, CutOffSequencesAndLoneBytesAreNotUtf8) {
  EXPECT_EQ(LengthOf("\xC3"), 0u);
  EXPECT_EQ(LengthOf("\xE2\x82"), 0u);
  EXPECT_EQ(LengthOf("\xF0\x9F\x98"), 0u);
  EXPECT_EQ(LengthOf("\x80"), 0u);            // a continuation byte alone
  EXPECT_EQ(LengthOf("\xC3\n"), 0u);          // a lead byte before a newline
  EXPECT_EQ(LengthOf(std::string("a")), 0u);  // ASCII is the caller's
}

TEST(Utf8Test, ControlsAndSeparatorsBreakALineOtherCodePointsDoNot) {
  EXPECT_TRUE(BreaksALine(0x85));  // NEL
  EXPECT_TRUE(BreaksALine(0x9B));  // CSI
  EXPECT_TRUE(BreaksALine(0x80));
  EXPECT_TRUE(BreaksALine(0x9F));
  EXPECT_TRUE(BreaksALine(0x2028));
  EXPECT_TRUE(BreaksALine(0x2029));
  EXPECT_FALSE(BreaksALine(0xA0));  // a no-break space
  EXPECT_FALSE(BreaksALine(0xE9));
  EXPECT_FALSE(BreaksALine(0x202A));
}

}  // namespace
}  // namespace quotient::text
