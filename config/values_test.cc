#include "config/values.h"

#include <gtest/gtest.h>

namespace quotient::config {
namespace {

using std::chrono::milliseconds;

TEST(ValuesTest, DurationsUseGoSyntax) {
  struct Case {
    const char* text;
    int64_t ms;
  };
  for (const Case& c : {Case{"0", 0}, Case{"500ms", 500}, Case{"10s", 10'000},
                        Case{"1m30s", 90'000}, Case{"1.5s", 1500}, Case{"2h", 7'200'000}}) {
    milliseconds out{};
    std::string error;
    ASSERT_TRUE(ParseDuration(c.text, &out, &error)) << c.text << ": " << error;
    EXPECT_EQ(out.count(), c.ms) << c.text;
  }
  for (const char* bad :
       {"", "10", "s", "10x", "-1s", "1s2", "8761h", "11111111111111111111ms", "9999999999h1s"}) {
    milliseconds out{};
    std::string error;
    EXPECT_FALSE(ParseDuration(bad, &out, &error)) << bad;
    EXPECT_FALSE(error.empty());
  }
  EXPECT_EQ(FormatDuration(milliseconds(10'000)), "10s");
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
}

TEST(ValuesTest, ByteSizesAreKubernetesQuantities) {
  uint64_t out = 0;
  std::string error;
  ASSERT_TRUE(ParseByteSize("128Mi", &out, &error));
  EXPECT_EQ(out, 128u << 20);
  ASSERT_TRUE(ParseByteSize("1G", &out, &error));
  EXPECT_EQ(out, 1'000'000'000u);
  EXPECT_FALSE(ParseByteSize("12Q", &out, &error));
  EXPECT_NE(error.find("12Q"), std::string::npos);
}

TEST(ValuesTest, HostPortForms) {
  std::string host;
  uint16_t port = 0;
  std::string error;
  ASSERT_TRUE(ParseHostPort("127.0.0.1:8888", &host, &port, &error));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8888);
  ASSERT_TRUE(ParseHostPort("[::1]:0", &host, &port, &error));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(ParseHostPort(":9090", &host, &port, &error));
  EXPECT_EQ(host, "0.0.0.0");
  for (const char* bad : {"localhost", "1.2.3.4:", "h:65536", "h:12ab"}) {
    EXPECT_FALSE(ParseHostPort(bad, &host, &port, &error)) << bad;
  }
}

}  // namespace
}  // namespace quotient::config
