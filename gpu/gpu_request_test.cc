#include "gpu/gpu_request.h"

#include <gtest/gtest.h>

#include "gpu/gpu_test_util.h"

namespace quotient::gpu {
namespace {

using testing::Resources;

TEST(GpuRequestTest, FractionsAreReadExactly) {
  struct Case {
    const char* text;
    int milli;  // 0: invalid
  };
  const Case cases[] = {{"1.0", 1000}, {"1", 1000},    {"0.5", 500}, {".25", 250},
                        {"25%", 250},  {"0.125", 125}, {"0", 0},     {"1.5", 0},
                        {"0.1234", 0}, {"half", 0},    {"", 0},      {"-0.5", 0}};
  for (const Case& c : cases) {
    int milli = 0;
    EXPECT_EQ(ParseFraction(c.text, &milli), c.milli != 0) << c.text;
    if (c.milli != 0) {
      EXPECT_EQ(milli, c.milli) << c.text;
    }
  }
  EXPECT_EQ(FormatFraction(500), "0.5");
  EXPECT_EQ(FormatFraction(250), "0.25");
  EXPECT_EQ(FormatFraction(1000), "1");
}

TEST(GpuRequestTest, EachKindIsReadFromWhereThePodSaysIt) {
  GpuRequest r = testing::Request(Resources({{"nvidia.com/gpu", 2}, {"cpu", 1000}}));
  EXPECT_EQ(r.kind, GpuRequestKind::kWhole);
  EXPECT_EQ(r.count, 2);

  r = testing::Request(Resources({{"aliyun.com/gpu-mem", 8}}));
  EXPECT_EQ(r.kind, GpuRequestKind::kMemory);
  EXPECT_EQ(r.share_units, 8);

  r = testing::Request(Resources({{"nvidia.com/mig-3g.20gb", 1}}), {{"required-resources", "0.5"}});
  EXPECT_EQ(r.kind, GpuRequestKind::kMig);
  EXPECT_EQ(r.profile, "3g.20gb");
  EXPECT_EQ(r.fraction_milli, 500);

  r = testing::Request({}, {}, {{"quotient.io/gpu-fraction", "0.25"}});
  EXPECT_EQ(r.kind, GpuRequestKind::kFraction);
  EXPECT_EQ(r.fraction_milli, 250);

  r = testing::Request(Resources({{"nvidia.com/gpu", 2}}), {{"quotient.io/gpu-model", "t4"}});
  EXPECT_EQ(r.model, "t4");
  ASSERT_NE(r.catalog_model, nullptr);
  EXPECT_EQ(r.catalog_model->key, "T4");

  r = testing::Request(Resources({{"cpu", 1000}}));
  EXPECT_FALSE(r.any());
}

TEST(GpuRequestTest, ContradictoryRequestsAreRefusedWithAReason) {
  struct Case {
    const char* name;
    quota::ResourceList requests;
    StringPairs labels;
    const char* error;
  };
  const Case cases[] = {
      {"whole GPUs and memory",
       Resources({{"nvidia.com/gpu", 1}, {"aliyun.com/gpu-mem", 4}}),
       {},
       "the pod mixes whole GPUs, GPU memory and MIG devices"},
      {"two MIG profiles",
       Resources({{"nvidia.com/mig-1g.5gb", 1}, {"nvidia.com/mig-3g.20gb", 1}}),
       {},
       "the pod asks for two MIG profiles (1g.5gb and 3g.20gb)"},
      {"a malformed fraction",
       {},
       {{"required-resources", "0.3x"}},
       "gpu fraction \"0.3x\" is not a number in (0, 1]"},
      {"a fraction with GPU memory",
       Resources({{"aliyun.com/gpu-mem", 4}}),
       {{"required-resources", "0.5"}},
       "gpu fraction 0.5 with a memory GPU request"},
  };
  for (const Case& c : cases) {
    GpuRequest out;
    std::string error;
    EXPECT_FALSE(ParseGpuRequest(c.requests, c.labels, {}, BuiltinMigCatalog(), &out, &error))
        << c.name;
    EXPECT_EQ(error, c.error) << c.name;
  }
}

}  // namespace
}  // namespace quotient::gpu
