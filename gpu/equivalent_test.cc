#include "gpu/equivalent.h"

#include <gtest/gtest.h>

#include <limits>

#include "gpu/gpu_test_util.h"

namespace quotient::gpu {
namespace {

using testing::Request;
using testing::Resources;

constexpr int64_t kExa9 = 9'000'000'000'000'000'000;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(EquivalentTest, EveryKindOfRequestHasAGpuEquivalent) {
  struct Case {
    const char* name;
    GpuRequest request;
    int64_t milli;
  };
  const Case cases[] = {
      {"two whole GPUs are 2000", Request(Resources({{"nvidia.com/gpu", 2}})), 2000},
      {"half a GPU is 500", testing::Fraction("0.5"), 500},
      {"a 3g.20gb is 3/7 of an A100, rounded up", testing::Mig("3g.20gb"), 429},
      {"a 1g.5gb is 1/7", testing::Mig("1g.5gb"), 143},
      {"two 1g.6gb are 2 x 1/4 of an A30", Request(Resources({{"nvidia.com/mig-1g.6gb", 2}})), 500},
      {"two 1g.5gb are twice one, each rounded up",
       Request(Resources({{"nvidia.com/mig-1g.5gb", 2}})), 286},
      {"a 4g.24gb is a whole A30", testing::Mig("4g.24gb"), 1000},
      {"8Gi of a 16Gi GPU is 500", Request(Resources({{"aliyun.com/gpu-mem", 8}})), 500},
      {"no GPU is 0", Request(Resources({{"cpu", 1000}})), 0},
      // Any valid quantity is a count a pod may ask for: the charge saturates (and no
      // quota admits it) instead of overflowing.
      {"9E whole GPUs saturate", Request(Resources({{"nvidia.com/gpu", kExa9}})), kMax},
      {"9E MIG devices saturate", Request(Resources({{"nvidia.com/mig-1g.5gb", kExa9}})), kMax},
      {"9E GPU memory units saturate", Request(Resources({{"aliyun.com/gpu-mem", kExa9}})),
       kMax / (16 * 1024) + 1},
  };
  EquivalentOptions options;
  options.memory_mib_hint = 16 * 1024;
  for (const Case& c : cases) {
    EXPECT_EQ(GpuEquivalentMilli(c.request, BuiltinMigCatalog(), options), c.milli) << c.name;
  }
}

TEST(EquivalentTest, AnOverrideTableWinsAndMemoryNeedsAHint) {
  EquivalentOptions options;
  options.profile_milli = {{"3g.20gb", 500}};
  EXPECT_EQ(GpuEquivalentMilli(testing::Mig("3g.20gb"), BuiltinMigCatalog(), options), 500);
  EXPECT_EQ(GpuEquivalentMilli(Request(Resources({{"nvidia.com/mig-3g.20gb", 2}})),
                               BuiltinMigCatalog(), options),
            1000);
  EXPECT_EQ(GpuEquivalentMilli(Request(Resources({{"aliyun.com/gpu-mem", 8}})), BuiltinMigCatalog(),
                               options),
            0);
}

}  // namespace
}  // namespace quotient::gpu
