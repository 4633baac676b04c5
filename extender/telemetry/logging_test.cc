#include "extender/telemetry/logging.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace quotient::extender {
namespace {

TEST(LoggingTest, TextLinesQuoteValuesWithSpaces) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, spdlog::level::warn, "request refused",
                          {{"status", "400"}, {"error", "bad \"json\""}, {"empty", ""}}, false),
            R"(warning request refused status=400 error="bad \"json\"" empty="")");
}

TEST(LoggingTest, TextLinesEscapeEveryControlCharacter) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, spdlog::level::warn, "pod skipped",
                          {{"error", "a\nb\rc\td\x1b[2Ke\x7f"}, {"cr", "x\ry"}}, false),
            R"(warning pod skipped error="a\nb\rc\td\x1b[2Ke\x7f" cr="x\ry")");
}

TEST(LoggingTest, JsonLinesAreOneValidObjectWithEveryField) {
  std::string line = FormatLogLine(LogFormat::kJson, spdlog::level::info, "bind",
                                   {{"pod", "ns/p"}, {"error", "line1\nline2"}}, true);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["msg"], "bind");
  EXPECT_EQ(j["pod"], "ns/p");
  EXPECT_EQ(j["error"], "line1\nline2");
  EXPECT_TRUE(j.contains("ts"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LoggingTest, UnknownLevelIsRefused) {
  EXPECT_FALSE(ConfigureLogging(LogFormat::kText, "loud"));
  EXPECT_TRUE(ConfigureLogging(LogFormat::kText, "warn"));
  EXPECT_FALSE(LogEnabled(spdlog::level::info));
  EXPECT_TRUE(LogEnabled(spdlog::level::err));
}

}  // namespace
}  // namespace quotient::extender
