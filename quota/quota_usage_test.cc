#include "quota/quota_usage.h"

#include <gtest/gtest.h>

#include "quota/quota_test_util.h"

namespace quotient::quota {
namespace {

class QuotaUsageTest : public ::testing::Test {
 protected:
  SparseAmounts Cpu(int64_t cores) { return tree_->ToSparse(ResourceList{{"cpu", cores * 1000}}); }
  int64_t ChargedCpu(const std::string& quota) {
    return usage_.Charged(tree_->Find(quota), tree_->ResourceIndex("cpu"));
  }
  QuotaId Leaf(const std::string& name) { return tree_->Find(name); }

  std::shared_ptr<const QuotaTree> tree_ = testing::Scenario1Tree().Build();
  QuotaUsage usage_{tree_};
};

TEST_F(QuotaUsageTest, ChargesTheLeafAndEveryAncestor) {
  ASSERT_TRUE(usage_.TryCharge(Leaf("root.a.1"), Cpu(5), nullptr));
  EXPECT_EQ(ChargedCpu("root.a.1"), 5000);
  EXPECT_EQ(ChargedCpu("root.a"), 5000);
  EXPECT_EQ(ChargedCpu("root"), 5000);
  EXPECT_EQ(ChargedCpu("root.a.2"), 0);
  EXPECT_EQ(ChargedCpu("root.b"), 0);
}

TEST_F(QuotaUsageTest, RefusesAtTheFirstLevelOverMaxAndRollsBackEverything) {
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(usage_.TryCharge(Leaf("root.a.1"), Cpu(5), nullptr));
  ChargeRefusal refusal;
  EXPECT_FALSE(usage_.TryCharge(Leaf("root.a.1"), Cpu(5), &refusal));
  EXPECT_EQ(refusal.quota, Leaf("root.a.1"));
  EXPECT_EQ(tree_->resource_name(refusal.resource), "cpu");
  EXPECT_EQ(refusal.reserved, 20000);  // nothing bound yet: all of it is reservations
  EXPECT_EQ(refusal.used, 0);
  EXPECT_EQ(refusal.request, 5000);
  EXPECT_EQ(refusal.max, 20000);
  EXPECT_EQ(ChargedCpu("root.a.1"), 20000);
  EXPECT_EQ(ChargedCpu("root"), 20000);
}

TEST_F(QuotaUsageTest, RefusalAtAnAncestorUndoesTheLevelsBelow) {
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(usage_.TryCharge(Leaf("root.a.1"), Cpu(5), nullptr));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(usage_.TryCharge(Leaf("root.a.2"), Cpu(5), nullptr));
  ChargeRefusal refusal;
  EXPECT_FALSE(usage_.TryCharge(Leaf("root.b.1"), Cpu(5), &refusal));  // root is full: 40
  EXPECT_EQ(refusal.quota, QuotaTree::root());
  EXPECT_EQ(ChargedCpu("root.b.1"), 0);
  EXPECT_EQ(ChargedCpu("root.b"), 0);
  EXPECT_FALSE(usage_.WouldAdmit(Leaf("root.b.1"), Cpu(5), nullptr));
  EXPECT_TRUE(usage_.WouldAdmit(Leaf("root.b.1"), Cpu(0), nullptr));
}

TEST_F(QuotaUsageTest, ForceChargeMayExceedMaxAndThenBlocksAdmissions) {
  usage_.ForceCharge(Leaf("root.a.1"), Cpu(25));  // running before max was lowered
  EXPECT_EQ(ChargedCpu("root.a.1"), 25000);
  EXPECT_FALSE(usage_.TryCharge(Leaf("root.a.1"), Cpu(1), nullptr));
  usage_.Uncharge(Leaf("root.a.1"), Cpu(10));
  EXPECT_TRUE(usage_.TryCharge(Leaf("root.a.1"), Cpu(5), nullptr));
}

TEST_F(QuotaUsageTest, UsedTracksBoundPodsAndReservedIsTheRest) {
  ASSERT_TRUE(usage_.TryCharge(Leaf("root.b.2"), Cpu(5), nullptr));
  ASSERT_TRUE(usage_.TryCharge(Leaf("root.b.2"), Cpu(5), nullptr));
  usage_.AddUsed(Leaf("root.b.2"), Cpu(5), +1);
  int32_t cpu = tree_->ResourceIndex("cpu");
  EXPECT_EQ(usage_.Used(Leaf("root.b"), cpu), 5000);
  EXPECT_EQ(usage_.Reserved(Leaf("root.b"), cpu), 5000);
  EXPECT_EQ(usage_.Charged(Leaf("root.b"), cpu), 10000);
}

TEST_F(QuotaUsageTest, ResourcesWithoutMaxAreCountedButNeverRefused) {
  SparseAmounts mem = tree_->ToSparse(ResourceList{{"memory", int64_t{1} << 40}});
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(usage_.TryCharge(Leaf("root.a.1"), mem, nullptr));
  EXPECT_EQ(usage_.Charged(QuotaTree::root(), tree_->ResourceIndex("memory")), int64_t{100} << 40);
}

}  // namespace
}  // namespace quotient::quota
