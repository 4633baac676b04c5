// A ConfigError prints as one line of bounded length, whatever the file held.
#include "config/config_error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace quotient::config {
namespace {

TEST(ConfigErrorTest, PrintsSourceLinePathAndMessage) {
  const ConfigError e{"quotient.yaml", 12, "server.limits.maxBodyBytes",
                      "invalid quantity \"12Q\""};
  EXPECT_EQ(e.ToString(), "quotient.yaml:12: server.limits.maxBodyBytes: invalid quantity \"12Q\"");
  EXPECT_EQ((ConfigError{"", 0, "", "no file"}).ToString(), "no file");
}

TEST(ConfigErrorTest, ControlCharactersInAQuotedValueAreEscaped) {
  const ConfigError e{"q.yaml", 8, "spec.root.min.memory",
                      std::string("invalid quantity \"256\n\n\r\tGi\x01\x7f\"")};
  EXPECT_EQ(e.ToString(),
            "q.yaml:8: spec.root.min.memory: invalid quantity \"256\\n\\n\\r\\tGi\\x01\\x7f\"");
}

TEST(ConfigErrorTest, BackslashesAreEscapedSoThePrintedLineIsUnambiguous) {
  EXPECT_EQ((ConfigError{"", 0, "", "path \"C:\\n\""}).ToString(), "path \"C:\\\\n\"");
}

TEST(ConfigErrorTest, EscapesCountTowardsTheBound) {
  // 2,000 control bytes print as 8,000: the part is bounded by what is printed.
  const std::string text = ConfigError{"", 0, "", std::string(2000, '\x01')}.ToString();
  EXPECT_LE(text.find("..."), kMaxErrorPartBytes);
  EXPECT_EQ(text.substr(0, 8), "\\x01\\x01");
  EXPECT_NE(text.find("... (2000 bytes in all)"), std::string::npos) << text;
}

TEST(ConfigErrorTest, PlainTextIsClippedExactlyAtTheBound) {
  const std::string text = ConfigError{"", 0, "", std::string(5000, 'x')}.ToString();
  EXPECT_EQ(text, std::string(kMaxErrorPartBytes, 'x') + "... (5000 bytes in all)");
  const std::string fits(kMaxErrorPartBytes, 'y');
  EXPECT_EQ((ConfigError{"", 0, "", fits}).ToString(), fits);
  // A run that ends where an escape would pass the bound: the run is kept, the escape not.
  const std::string mixed = std::string(kMaxErrorPartBytes - 1, 'z') + "\n";
  EXPECT_EQ((ConfigError{"", 0, "", mixed}).ToString(),
            std::string(kMaxErrorPartBytes - 1, 'z') + "... (1024 bytes in all)");
}

TEST(ConfigErrorTest, InvalidUtfEightStillPrintsUpToTheBound) {
  const std::string text = ConfigError{"", 0, "", std::string(3000, '\x80')}.ToString();
  EXPECT_EQ(text.find("..."), kMaxErrorPartBytes);
}

TEST(ConfigErrorTest, AMalformedUtfEightSequenceCannotCarryANewline) {
  const std::string text = ConfigError{"", 0, "", std::string("a\xC3\nb\xF8\n")}.ToString();
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  EXPECT_EQ(text, "a\\xc3\\nb\\xf8\\n");
}

TEST(ConfigErrorTest, BytesThatAreNotUtfEightPrintAsEscapes) {
  // An overlong newline (C0 8A), an overlong NEL (E0 82 85), a surrogate (ED A0 80), a
  // stray continuation byte: what a lenient reader could turn into a line break is escaped,
  // so the printed line is valid UTF-8.
  EXPECT_EQ((ConfigError{"", 0, "",
                         "a\xC0\x8A"
                         "b\xE0\x82\x85"
                         "c\xED\xA0\x80"
                         "d\x80"})
                .ToString(),
            "a\\xc0\\x8ab\\xe0\\x82\\x85c\\xed\\xa0\\x80d\\x80");
}

TEST(ConfigErrorTest, UtfEightIsKept) {
  EXPECT_EQ((ConfigError{"", 0, "", "unknown namespace \"équipe\""}).ToString(),
            "unknown namespace \"équipe\"");
}

TEST(ConfigErrorTest, UtfEightLineBreaksAndC1ControlsAreEscaped) {
  // NEL (U+0085) ends a line for some readers, CSI (U+009B) starts a terminal escape, and
  // U+2028/U+2029 separate lines: printed as escapes; the characters beside them are kept.
  EXPECT_EQ((ConfigError{"", 0, "", "a\u0085b\u009B2Jc\u2028d\u2029e\u00A0f"}).ToString(),
            "a\\u0085b\\u009b2Jc\\u2028d\\u2029e\u00A0f");
}

TEST(ConfigErrorTest, EachPartIsClippedAndSaysHowLongItWas) {
  const std::string huge(5000, 'x');
  const std::string text = ConfigError{huge, 1, huge, huge}.ToString();
  EXPECT_LT(text.size(), 3 * kMaxErrorPartBytes + 200);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 0);
  EXPECT_NE(text.find("... (5000 bytes in all)"), std::string::npos) << text;
}

TEST(ConfigErrorTest, ClippingNeverSplitsAUtfEightSequence) {
  // 'é' is two bytes; an odd prefix puts the clip point inside one.
  const std::string message = "x" + [] {
    std::string s;
    for (size_t i = 0; i < kMaxErrorPartBytes; ++i) s += "é";
    return s;
  }();
  const std::string text = ConfigError{"", 0, "", message}.ToString();
  const std::string kept = text.substr(0, text.find("..."));
  EXPECT_EQ(kept.size(), kMaxErrorPartBytes - 1);  // "x" and 511 whole 'é's
}

TEST(ConfigErrorTest, FormatErrorsIsOneLinePerErrorAndBounded) {
  ConfigErrors errors(kMaxFormattedErrors + 5, ConfigError{"f", 1, "p", "a\nb"});
  const std::string text = FormatErrors(errors);
  EXPECT_EQ(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')),
            kMaxFormattedErrors + 1);
  EXPECT_NE(text.find("... and 5 more errors"), std::string::npos);
}

}  // namespace
}  // namespace quotient::config
