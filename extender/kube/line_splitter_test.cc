#include "extender/kube/line_splitter.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace quotient::extender::kube {
namespace {

// Feeds `pieces` one by one and collects the complete lines.
std::vector<std::string> Split(const std::vector<std::string>& pieces, size_t max_line,
                               bool* overflow, std::string* rest = nullptr) {
  LineSplitter lines(max_line);
  std::vector<std::string> out;
  for (const std::string& piece : pieces) {
    std::memcpy(lines.Prepare(piece.size()), piece.data(), piece.size());
    lines.Commit(piece.size());
    std::string_view line;
    while (lines.Next(&line)) out.emplace_back(line);
    if (lines.overflow()) break;
  }
  *overflow = lines.overflow();
  if (rest != nullptr) *rest = std::string(lines.Rest());
  return out;
}

TEST(LineSplitterTest, JoinsLinesSplitAcrossPieces) {
  bool overflow = false;
  std::string rest;
  auto lines = Split({"{\"a\":", "1}\n{\"b\"", ":2}\n{\"c", "\":3}"}, 100, &overflow, &rest);
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
  EXPECT_FALSE(overflow);
  EXPECT_EQ(rest, "{\"c\":3}");
}

TEST(LineSplitterTest, SkipsBlankLinesAndStripsCarriageReturns) {
  bool overflow = false;
  auto lines = Split({"\n\r\n  \nx\r\n\ny\n"}, 100, &overflow);
  EXPECT_EQ(lines, (std::vector<std::string>{"x", "y"}));
}

TEST(LineSplitterTest, ManyLinesInOnePiece) {
  std::string piece;
  for (int i = 0; i < 1000; ++i) piece += std::to_string(i) + "\n";
  bool overflow = false;
  auto lines = Split({piece}, 100, &overflow);
  ASSERT_EQ(lines.size(), 1000u);
  EXPECT_EQ(lines[999], "999");
}

TEST(LineSplitterTest, AnUnterminatedLineOverTheLimitOverflows) {
  bool overflow = false;
  auto lines = Split({"ok\n", std::string(60, 'x'), std::string(60, 'x')}, 100, &overflow);
  EXPECT_EQ(lines, (std::vector<std::string>{"ok"}));
  EXPECT_TRUE(overflow);
}

TEST(LineSplitterTest, ATerminatedLineOverTheLimitOverflows) {
  bool overflow = false;
  auto lines = Split({std::string(101, 'x') + "\nnext\n"}, 100, &overflow);
  EXPECT_TRUE(lines.empty());
  EXPECT_TRUE(overflow);
}

TEST(LineSplitterTest, ALineOfExactlyTheLimitPasses) {
  bool overflow = false;
  auto lines = Split({std::string(100, 'x') + "\n"}, 100, &overflow);
  EXPECT_EQ(lines.size(), 1u);
  EXPECT_FALSE(overflow);
}

}  // namespace
}  // namespace quotient::extender::kube
