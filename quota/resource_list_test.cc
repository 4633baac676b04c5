#include "quota/resource_list.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace quotient::quota {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(ResourceAmountTest, CountsOnlyCpuInMilliUnits) {
  EXPECT_TRUE(IsMilliResource("cpu"));
  EXPECT_TRUE(IsMilliResource(kResourceCpu));
  for (std::string_view name : {"memory", "pods", "nvidia.com/gpu", "ephemeral-storage", "CPU",
                                "cpus", "hugepages-2Mi", ""}) {
    EXPECT_FALSE(IsMilliResource(name)) << name;
  }
}

TEST(ResourceAmountTest, ParsesQuantitiesIntoCanonicalUnits) {
  struct Case {
    std::string_view resource;
    std::string_view quantity;
    int64_t amount;
  };
  constexpr Case kCases[] = {{"cpu", "1", 1000},
                             {"cpu", "500m", 500},
                             {"cpu", "0.5", 500},
                             {"cpu", "1.5", 1500},
                             {"cpu", "0.0001", 1},  // rounded up, as MilliValue() does
                             {"cpu", "100u", 1},
                             {"cpu", "2k", 2000000},
                             {"cpu", "0", 0},
                             {"cpu", "-0", 0},
                             {"cpu", "9223372036854775.807", kMax},
                             {"memory", "1Gi", 1073741824},
                             {"memory", "60Gi", 64424509440},
                             {"memory", "1G", 1000000000},
                             {"memory", "128974848", 128974848},
                             {"memory", "129e6", 129000000},
                             {"memory", "123Mi", 128974848},
                             {"memory", "1.5Ki", 1536},
                             {"memory", "0.1", 1},  // rounded up, as Value() does
                             {"memory", "500m", 1},
                             {"memory", "7Ei", 8070450532247928832},
                             {"memory", "9223372036854775807", kMax},
                             {"pods", "110", 110},
                             {"nvidia.com/gpu", "2", 2},
                             {"nvidia.com/gpu", "+1", 1}};
  for (const Case& c : kCases) {
    SCOPED_TRACE(std::string(c.resource) + "=" + std::string(c.quantity));
    int64_t amount = -1;
    std::string error;
    ASSERT_TRUE(ParseResourceAmount(c.resource, c.quantity, &amount, &error)) << error;
    EXPECT_EQ(amount, c.amount);
  }
}

TEST(ResourceAmountTest, RejectsInvalidNegativeAndOutOfRangeQuantities) {
  struct Case {
    std::string_view resource;
    std::string_view quantity;
    std::string_view error;
  };
  constexpr Case kCases[] = {
      {"cpu", "-1", "must not be negative"},
      {"memory", "-1Ki", "must not be negative"},
      {"cpu", "-0.0001", "must not be negative"},
      {"cpu", "1Gb", "invalid suffix \"Gb\""},
      {"memory", "", "empty quantity"},
      {"memory", "abc", "not a number"},
      {"cpu", "9223372036854776", "out of range"},  // fits in cores, not in millicores
      {"cpu", "7Ei", "out of range"},
      {"memory", "8Ei", "out of range"},
      {"memory", "1e19", "out of range"}};
  for (const Case& c : kCases) {
    SCOPED_TRACE(std::string(c.resource) + "=" + std::string(c.quantity));
    int64_t amount = 42;
    std::string error;
    EXPECT_FALSE(ParseResourceAmount(c.resource, c.quantity, &amount, &error));
    EXPECT_EQ(error, c.error);
    EXPECT_EQ(amount, 42);
  }
}

TEST(ResourceAmountTest, FormatsAmountsInKubernetesSyntax) {
  struct Case {
    std::string_view resource;
    int64_t amount;
    std::string_view text;
  };
  constexpr Case kCases[] = {{"cpu", 5000, "5"},
                             {"cpu", 500, "500m"},
                             {"cpu", 1500, "1500m"},
                             {"cpu", 0, "0"},
                             {"cpu", 1, "1m"},
                             {"cpu", 1024000, "1024"},
                             {"cpu", -500, "-500m"},
                             {"cpu", -2000, "-2"},
                             {"cpu", kMax, "9223372036854775807m"},
                             {"memory", 64424509440, "60Gi"},
                             {"memory", 1000, "1000"},
                             {"memory", 0, "0"},
                             {"memory", 1, "1"},
                             {"memory", 1024, "1Ki"},
                             {"memory", 1536, "1536"},
                             {"memory", 1048576, "1Mi"},
                             {"memory", 1049600, "1025Ki"},
                             {"memory", 1073741824, "1Gi"},
                             {"memory", 1099511627776, "1Ti"},
                             {"memory", 1125899906842624, "1Pi"},
                             {"memory", 1152921504606846976, "1Ei"},
                             {"memory", 8070450532247928832, "7Ei"},
                             {"memory", 1000000000, "1000000000"},
                             {"memory", kMax, "9223372036854775807"},
                             {"memory", -1024, "-1Ki"},
                             {"memory", kMin, "-8Ei"},
                             {"pods", 110, "110"},
                             {"nvidia.com/gpu", 2048, "2Ki"}};
  for (const Case& c : kCases) {
    EXPECT_EQ(FormatResourceAmount(c.resource, c.amount), c.text) << c.resource << " " << c.amount;
  }
}

TEST(ResourceAmountTest, FormattedAmountsParseBackToTheSameAmount) {
  const int64_t kAmounts[] = {0,           1,         2,         999,         1000,
                              1001,        1023,      1024,      1025,        1536,
                              65536,       1000000,   1048576,   1073741823,  1073741824,
                              64424509440, 1LL << 50, 3LL << 60, 7LL << 60,   (1LL << 62) + 1,
                              kMax - 1,    kMax,      123456789, 999999999999};
  for (std::string_view resource : {"cpu", "memory", "nvidia.com/gpu"}) {
    for (int64_t amount : kAmounts) {
      const std::string text = FormatResourceAmount(resource, amount);
      int64_t parsed = -1;
      std::string error;
      ASSERT_TRUE(ParseResourceAmount(resource, text, &parsed, &error))
          << resource << "=" << text << ": " << error;
      EXPECT_EQ(parsed, amount) << resource << "=" << text;
    }
  }
}

TEST(ResourceListTest, KeepsEntriesSortedByNameWithUniqueNames) {
  ResourceList list{{"memory", 10}, {"cpu", 5}, {"nvidia.com/gpu", 1}, {"cpu", 7}};
  ASSERT_EQ(list.size(), 3u);
  std::vector<std::string> names;
  for (const ResourceAmount& entry : list) names.push_back(entry.name);
  EXPECT_EQ(names, (std::vector<std::string>{"cpu", "memory", "nvidia.com/gpu"}));
  EXPECT_EQ(list.Get("cpu"), 7);  // the last duplicate wins, as with Set()

  list.Set("ephemeral-storage", 3);
  list.Set("a", 1);
  names.clear();
  for (const ResourceAmount& entry : list) names.push_back(entry.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "cpu", "ephemeral-storage", "memory",
                                             "nvidia.com/gpu"}));
}

TEST(ResourceListTest, GetsSetsAndErasesEntries) {
  ResourceList list;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.Get("cpu"), 0);
  EXPECT_FALSE(list.Has("cpu"));

  list.Set("cpu", 0);
  EXPECT_TRUE(list.Has("cpu"));  // present with amount 0
  EXPECT_EQ(list.size(), 1u);
  list.Set("cpu", 250);
  EXPECT_EQ(list.Get("cpu"), 250);
  EXPECT_EQ(list.size(), 1u);

  list.Erase("memory");  // absent: no-op
  EXPECT_EQ(list.size(), 1u);
  list.Erase("cpu");
  EXPECT_TRUE(list.empty());
  EXPECT_FALSE(list.Has("cpu"));
}

TEST(ResourceListTest, AddSaturatesAtInt64Limits) {
  ResourceList list;
  list.Add("cpu", 100);  // absent: added
  list.Add("cpu", 50);
  EXPECT_EQ(list.Get("cpu"), 150);
  list.Add("memory", kMax - 1);
  list.Add("memory", 5);
  EXPECT_EQ(list.Get("memory"), kMax);
  list.Add("memory", kMax);
  EXPECT_EQ(list.Get("memory"), kMax);
  list.Add("pods", kMin + 1);
  list.Add("pods", -5);
  EXPECT_EQ(list.Get("pods"), kMin);
  list.Add("memory", -10);
  EXPECT_EQ(list.Get("memory"), kMax - 10);
}

TEST(ResourceListTest, AddAllSumsEveryResourceOfTheOtherList) {
  ResourceList list{{"cpu", 100}, {"memory", 1024}};
  list.AddAll(ResourceList{{"cpu", 400}, {"nvidia.com/gpu", 1}, {"memory", kMax}});
  EXPECT_EQ(list, (ResourceList{{"cpu", 500}, {"memory", kMax}, {"nvidia.com/gpu", 1}}));
  list.AddAll(ResourceList{});
  EXPECT_EQ(list.size(), 3u);
}

TEST(ResourceListTest, MaxWithTakesTheMaximumOverTheUnionOfNames) {
  ResourceList list{{"cpu", 500}, {"memory", 100}, {"pods", 1}};
  list.MaxWith(ResourceList{{"a", 3}, {"cpu", 200}, {"memory", 300}, {"nvidia.com/gpu", 2}});
  EXPECT_EQ(
      list,
      (ResourceList{{"a", 3}, {"cpu", 500}, {"memory", 300}, {"nvidia.com/gpu", 2}, {"pods", 1}}));
  // An absent name counts as 0 on either side.
  ResourceList negative{{"cpu", -5}};
  negative.MaxWith(ResourceList{{"memory", -7}});
  EXPECT_EQ(negative, (ResourceList{{"cpu", 0}, {"memory", 0}}));
  ResourceList empty;
  empty.MaxWith(ResourceList{});
  EXPECT_TRUE(empty.empty());
}

TEST(ResourceListTest, ToStringFormatsSortedEntries) {
  const ResourceList list{
      {"nvidia.com/gpu", 1}, {"memory", 10737418240}, {"cpu", 5000}, {"pods", 1000}};
  EXPECT_EQ(list.ToString(), "cpu=5, memory=10Gi, nvidia.com/gpu=1, pods=1000");
  EXPECT_EQ(ResourceList{}.ToString(), "");
  EXPECT_EQ((ResourceList{{"cpu", 250}}).ToString(), "cpu=250m");
}

TEST(ResourceListTest, ComparesByEntries) {
  EXPECT_EQ((ResourceList{{"cpu", 1}, {"memory", 2}}), (ResourceList{{"memory", 2}, {"cpu", 1}}));
  EXPECT_NE((ResourceList{{"cpu", 1}}), (ResourceList{{"cpu", 2}}));
  EXPECT_NE((ResourceList{{"cpu", 0}}), ResourceList{});  // present-with-0 differs from absent
}

}  // namespace
}  // namespace quotient::quota
