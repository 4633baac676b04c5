#include "extender/json/json_read.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace quotient::extender::json {
namespace {

using std::chrono::seconds;

// Parses `text` with the parser ThreadParser hands out at `now`; returns its capacity after.
size_t ParseAt(const std::string& text, std::chrono::steady_clock::time_point now) {
  simdjson::padded_string padded(text);
  od::parser& parser = ThreadParser(padded.size(), now);
  od::document doc;
  EXPECT_EQ(parser.iterate(padded).get(doc), simdjson::SUCCESS);
  return parser.capacity();
}

TEST(ThreadParserTest, ALargeDocumentsCapacityIsDroppedOnceNothingThatLargeCameForAMinute) {
  // On a thread of its own: the capacity is the thread's.
  std::thread([] {
    const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    const std::string large = "[" + std::string(kThreadParserKeepBytes + 1024, ' ') + "]";
    const std::string small = "[1]";
    const size_t grown = ParseAt(large, t0);
    EXPECT_GE(grown, large.size());
    EXPECT_EQ(ParseAt(small, t0 + seconds(30)), grown);  // kept within the minute
    EXPECT_EQ(ParseAt(large, t0 + seconds(50)), grown);  // a large one came again
    EXPECT_EQ(ParseAt(small, t0 + seconds(100)), grown);
    EXPECT_LT(ParseAt(small, t0 + seconds(111)), kThreadParserKeepBytes);  // dropped
  }).join();
}

TEST(ThreadParserTest, ACapacityWithinTheKeptBytesIsNeverDropped) {
  std::thread([] {
    const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    const std::string medium = "[" + std::string(kThreadParserKeepBytes / 2, ' ') + "]";
    const size_t grown = ParseAt(medium, t0);
    EXPECT_EQ(ParseAt("[1]", t0 + std::chrono::hours(1)), grown);
  }).join();
}

}  // namespace
}  // namespace quotient::extender::json
