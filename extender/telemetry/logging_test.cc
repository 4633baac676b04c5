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

TEST(LoggingTest, TextLinesEscapeUtfEightLineBreaksAndC1Controls) {
  // NEL (U+0085), CSI (U+009B) and U+2028/U+2029 quote the value and print as escapes;
  // other UTF-8 (a no-break space, U+00A0) is kept as it is and alone needs no quotes.
  EXPECT_EQ(
      FormatLogLine(LogFormat::kText, spdlog::level::warn, "pod skipped",
                    {{"name", "a\u0085b\u009B2Jc\u2028d\u2029e"}, {"nbsp", "x\u00A0y"}}, false),
      "warning pod skipped name=\"a\\u0085b\\u009b2Jc\\u2028d\\u2029e\" nbsp=x\u00A0y");
}

TEST(LoggingTest, TextLinesEscapeBytesThatAreNotUtfEight) {
  // An overlong newline and a cut-off sequence: quoted and escaped, the line stays UTF-8.
  EXPECT_EQ(FormatLogLine(LogFormat::kText, spdlog::level::warn, "pod skipped",
                          {{"name",
                            "a\xC0\x8A"
                            "b\xE2\x82"},
                           {"ok", "\u00E9t\u00E9"}},
                          false),
            "warning pod skipped name=\"a\\xc0\\x8ab\\xe2\\x82\" ok=\u00E9t\u00E9");
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
