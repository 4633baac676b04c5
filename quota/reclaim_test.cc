#include "quota/reclaim.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "quota/quota_spec.h"
#include "quota/quota_test_util.h"
#include "quota/quota_tree.h"
#include "quota/quota_usage.h"
#include "quota/resource_list.h"

namespace quotient::quota {
namespace {

ResourceList Cpu(int64_t cores) {
  return {{kResourceCpu, cores * 1000}};
}
ResourceList Gpu(int64_t gpus) {
  return {{kResourceNvidiaGpu, gpus}};
}
ResourceList CpuGpu(int64_t cores, int64_t gpus) {
  return {{kResourceCpu, cores * 1000}, {kResourceNvidiaGpu, gpus}};
}

struct Limits {
  ResourceList min;
  ResourceList max;
};

struct PodOptions {
  int32_t priority = 0;
  bool preemptible = true;
  bool pdb_allows = true;
  bool terminating = false;
  int64_t creation_rank = -1;  // -1: the order of AddPod
};

// A cluster of nodes (dims: cpu, nvidia.com/gpu) and a quota tree with charged pods.
class ReclaimTest : public ::testing::Test {
 protected:
  static constexpr std::array<std::string_view, 2> kDims = {kResourceCpu, kResourceNvidiaGpu};

  // Builds the tree: "root" first (no parent), then each node under its parent.
  void AddQuota(const std::string& name, Limits limits, const std::string& parent = "") {
    testing::Limits node{std::move(limits.min), std::move(limits.max), {}};
    if (parent.empty()) {
      ASSERT_EQ(name, "root");
      builder_ = testing::TreeBuilder(std::move(node));
    } else {
      builder_.AddQuota(name, parent, std::move(node));
    }
  }
  void UseTree(testing::TreeBuilder builder) { builder_ = std::move(builder); }

  size_t AddNode(ResourceList allocatable) {
    nodes_.push_back({std::move(allocatable), {}});
    return nodes_.size() - 1;
  }

  // Binds a running pod to `node` and charges its quota (as the watch cache would).
  void AddPod(std::string name, size_t node, std::string_view quota, const ResourceList& requests,
              PodOptions options = {}) {
    ReclaimPod pod{.id = static_cast<uint32_t>(names_.size()),
                   .leaf = Usage().tree().Find(quota),
                   .quota_amounts = Usage().tree().ToSparse(requests),
                   .node_amounts = NodeAmounts(requests),
                   .priority = options.priority,
                   .creation_rank = options.creation_rank >= 0
                                        ? options.creation_rank
                                        : static_cast<int64_t>(names_.size()),
                   .preemptible = options.preemptible,
                   .pdb_allows = options.pdb_allows,
                   .terminating = options.terminating};
    if (pod.leaf != kNoQuota) usage_->ForceCharge(pod.leaf, pod.quota_amounts);
    names_.push_back(std::move(name));
    nodes_[node].pods.push_back(std::move(pod));
  }

  // Binds `count` pods named prefix-0.. to the first nodes with room.
  void Fill(std::string_view prefix, std::string_view quota, const ResourceList& requests,
            int count) {
    for (int i = 0; i < count; ++i) {
      AddPod(std::string(prefix) + "-" + std::to_string(i), FirstFit(requests), quota, requests);
    }
  }

  // Plans for a pending pod over every node, or over node `only`.
  // `device_fit`: rule 4c, over victim names.
  using DeviceFit = std::function<bool(size_t node, const std::vector<std::string>& victims)>;
  ReclaimPlan Run(std::string_view quota, const ResourceList& requests, int32_t priority = 0,
                  size_t only = SIZE_MAX, DeviceFit device_fit = {}) {
    ReclaimRequest request{.leaf = Usage().tree().Find(quota),
                           .quota_amounts = Usage().tree().ToSparse(requests),
                           .node_request = NodeAmounts(requests),
                           .priority = priority,
                           .device_fit = {}};
    if (device_fit) {
      request.device_fit = [this, device_fit](uint32_t node, std::span<const uint32_t> ids) {
        std::vector<std::string> victims;
        for (uint32_t id : ids) victims.push_back(names_[id]);
        return device_fit(node, victims);
      };
    }
    std::vector<ReclaimNode> views;
    for (size_t n = 0; n < nodes_.size(); ++n) {
      if (only == SIZE_MAX || n == only) views.push_back(NodeView(n));
    }
    return PlanReclaim(*usage_, request, views);
  }
  size_t node_count() const { return nodes_.size(); }

  // Evicts the plan's victims (uncharging them) and binds the preemptor to its node.
  void Apply(const ReclaimPlan& plan, std::string name, std::string_view quota,
             const ResourceList& requests) {
    ASSERT_EQ(plan.outcome, ReclaimOutcome::kPlanned);
    for (uint32_t id : plan.victim_ids) {
      std::vector<ReclaimPod>& pods = nodes_[plan.node_id].pods;
      auto it = std::find_if(pods.begin(), pods.end(), [id](auto& p) { return p.id == id; });
      ASSERT_NE(it, pods.end()) << "victim " << names_[id] << " is not on the plan's node";
      usage_->Uncharge(it->leaf, it->quota_amounts);
      pods.erase(it);
    }
    AddPod(std::move(name), plan.node_id, quota, requests);
  }

  std::vector<std::string> Victims(const ReclaimPlan& plan) const {
    std::vector<std::string> out;
    for (uint32_t id : plan.victim_ids) out.push_back(names_[id]);
    return out;
  }
  std::string QuotaOf(std::string_view pod) const {
    for (const Node& node : nodes_) {
      for (const ReclaimPod& p : node.pods) {
        if (names_[p.id] == pod) return Usage().tree().name(p.leaf);
      }
    }
    return "";
  }
  int PodsIn(std::string_view quota) const {
    int count = 0;
    for (const Node& node : nodes_) {
      for (const ReclaimPod& p : node.pods) count += QuotaOf(names_[p.id]) == quota;
    }
    return count;
  }
  int64_t Charged(std::string_view quota, std::string_view resource) const {
    const QuotaTree& tree = Usage().tree();
    return usage_->Charged(tree.Find(quota), tree.ResourceIndex(resource));
  }

 private:
  struct Node {
    ResourceList allocatable;
    std::vector<ReclaimPod> pods;
  };

  static std::vector<int64_t> NodeAmounts(const ResourceList& list) {
    return {list.Get(kDims[0]), list.Get(kDims[1])};
  }

  QuotaUsage& Usage() const {
    if (usage_ == nullptr) {
      std::vector<SpecProblem> problems;
      EXPECT_TRUE(ValidateQuotaSpec(builder_.spec(), &problems));
      usage_ = std::make_unique<QuotaUsage>(builder_.Build());
    }
    return *usage_;
  }
  ReclaimNode NodeView(size_t n) const {
    std::vector<int64_t> free = NodeAmounts(nodes_[n].allocatable);
    for (const ReclaimPod& pod : nodes_[n].pods) {
      for (size_t d = 0; d < free.size(); ++d) free[d] -= pod.node_amounts[d];
    }
    return {static_cast<uint32_t>(n), std::move(free), nodes_[n].pods};
  }
  size_t FirstFit(const ResourceList& requests) const {
    const std::vector<int64_t> want = NodeAmounts(requests);
    for (size_t n = 0; n < nodes_.size(); ++n) {
      const ReclaimNode view = NodeView(n);
      if (view.free[0] >= want[0] && view.free[1] >= want[1]) return n;
    }
    ADD_FAILURE() << "no node has room";
    return 0;
  }

  testing::TreeBuilder builder_;
  mutable std::unique_ptr<QuotaUsage> usage_;
  std::vector<Node> nodes_;
  std::vector<std::string> names_;  // by pod id
};

using Strings = std::vector<std::string>;

// Scenario 1, steps 3 and 4, on 4 nodes × 10 cpu and on 1 node × 40 cpu.
class ReclaimScenarioOneTest : public ReclaimTest, public ::testing::WithParamInterface<int> {};

TEST_P(ReclaimScenarioOneTest, ReclaimsOnePodFromEachBorrowingSiblingPerGuaranteedQuota) {
  UseTree(testing::Scenario1Tree());  // root(40/40) → a, b (20/40) → .1, .2 (10/20)
  const int nodes = GetParam();
  for (int i = 0; i < nodes; ++i) AddNode(Cpu(40 / nodes));
  Fill("a1", "root.a.1", Cpu(5), 4);  // steps 1 and 2: root.a borrows all of root.b's min
  Fill("a2", "root.a.2", Cpu(5), 4);
  ASSERT_EQ(Charged("root", "cpu"), 40000);

  for (std::string_view quota : {"root.b.1", "root.b.2"}) {  // steps 3 and 4
    SCOPED_TRACE(quota);
    const ReclaimPlan first = Run(quota, Cpu(5));
    ASSERT_EQ(first.outcome, ReclaimOutcome::kPlanned);
    ASSERT_EQ(first.victim_ids.size(), 1u);
    const std::string first_quota = QuotaOf(Victims(first)[0]);
    Apply(first, std::string(quota) + "-0", quota, Cpu(5));

    const ReclaimPlan second = Run(quota, Cpu(5));
    ASSERT_EQ(second.outcome, ReclaimOutcome::kPlanned);
    ASSERT_EQ(second.victim_ids.size(), 1u);
    const std::string second_quota = QuotaOf(Victims(second)[0]);
    Apply(second, std::string(quota) + "-1", quota, Cpu(5));

    EXPECT_NE(first_quota, second_quota) << "fairness: one victim from each sibling";
    for (const std::string& q : {first_quota, second_quota}) {
      EXPECT_TRUE(q == "root.a.1" || q == "root.a.2") << q;
    }
    EXPECT_EQ(Run(quota, Cpu(5)).outcome, ReclaimOutcome::kNotWithinGuarantee);
  }
  for (std::string_view quota : {"root.a.1", "root.a.2", "root.b.1", "root.b.2"}) {
    EXPECT_EQ(PodsIn(quota), 2) << quota;
    EXPECT_EQ(Charged(quota, "cpu"), 10000) << quota;
  }
}

INSTANTIATE_TEST_SUITE_P(FourNodesAndOneNode, ReclaimScenarioOneTest, ::testing::Values(4, 1));

// A flat tree: root(10/10) → root.a(5/10), root.b(5/10); one node of 10 cpu.
class ReclaimFlatTreeTest : public ReclaimTest {
 protected:
  void SetUp() override {
    AddQuota("root", {.min = Cpu(10), .max = Cpu(10)});
    AddQuota("root.a", {.min = Cpu(5), .max = Cpu(10)}, "root");
    AddQuota("root.b", {.min = Cpu(5), .max = Cpu(10)}, "root");
    AddNode(Cpu(10));
  }
};

TEST_F(ReclaimFlatTreeTest, WithinALeafEvictsTheLowestPriorityThenTheNewestPod) {
  AddPod("high", 0, "root.a", Cpu(2), {.priority = 5});
  AddPod("low-old", 0, "root.a", Cpu(2), {.priority = 1});
  AddPod("low-new", 0, "root.a", Cpu(2), {.priority = 1});
  AddPod("lowest-pinned", 0, "root.a", Cpu(4), {.priority = 0, .preemptible = false});
  const ReclaimPlan plan = Run("root.a", Cpu(2), /*priority=*/10);
  EXPECT_EQ(plan.outcome, ReclaimOutcome::kPlanned);
  EXPECT_EQ(plan.node_id, 0u);
  EXPECT_EQ(Victims(plan), Strings{"low-new"});
  EXPECT_EQ(plan.pdb_violations, 0);
}

TEST_F(ReclaimFlatTreeTest, WithinALeafEvictsAPdbProtectedPodOnlyWhenNoOtherWorks) {
  AddPod("protected", 0, "root.a", Cpu(4), {.priority = 0, .pdb_allows = false});
  AddPod("unprotected", 0, "root.a", Cpu(4), {.priority = 5});
  AddPod("peer", 0, "root.a", Cpu(2), {.priority = 10});
  const ReclaimPlan plan = Run("root.a", Cpu(4), 10);
  EXPECT_EQ(Victims(plan), Strings{"unprotected"});
  EXPECT_EQ(plan.pdb_violations, 0);

  const ReclaimPlan big = Run("root.a", Cpu(8), 10);  // needs both
  EXPECT_EQ(Victims(big), (Strings{"unprotected", "protected"}));
  EXPECT_EQ(big.pdb_violations, 1);
}

TEST_F(ReclaimFlatTreeTest, ReprievesAVictimThatALaterVictimMakesUnnecessary) {
  AddPod("small", 0, "root.a", Cpu(2), {.priority = 0});
  AddPod("big", 0, "root.a", Cpu(8), {.priority = 1});
  EXPECT_EQ(Victims(Run("root.a", Cpu(8), 10)), Strings{"big"});
}

TEST_F(ReclaimFlatTreeTest, ADeviceFitTakesVictimsInKeyOrderUntilItHoldsThenReprieves) {
  // Only evicting "gpu-holder" frees the device the pod needs (say, its MIG slices); by
  // key order "b" then "a" come first, and by cpu alone "b" would do.
  AddPod("gpu-holder", 0, "root.a", Cpu(4), {.priority = 5});
  AddPod("a", 0, "root.a", Cpu(3), {.priority = 1});
  AddPod("b", 0, "root.a", Cpu(3), {.priority = 1});
  EXPECT_EQ(Victims(Run("root.a", Cpu(2), 10)), Strings{"b"});

  std::vector<Strings> asked;
  const ReclaimPlan plan =
      Run("root.a", Cpu(2), 10, SIZE_MAX, [&](size_t node, const Strings& victims) {
        EXPECT_EQ(node, 0u);
        asked.push_back(victims);
        return std::find(victims.begin(), victims.end(), "gpu-holder") != victims.end();
      });
  ASSERT_EQ(plan.outcome, ReclaimOutcome::kPlanned);
  EXPECT_EQ(Victims(plan), Strings{"gpu-holder"});
  // Greedy b, a, gpu-holder; then the reprieve keeps gpu-holder (without it: {b, a}),
  // drops a, then b.
  EXPECT_EQ(asked, (std::vector<Strings>{{"b"},
                                         {"b", "a"},
                                         {"b", "a", "gpu-holder"},
                                         {"b", "a"},
                                         {"b", "gpu-holder"},
                                         {"gpu-holder"}}));
}

TEST_F(ReclaimFlatTreeTest, ADeviceFitNoVictimsCanSatisfyMeansNoNodeFits) {
  AddPod("a", 0, "root.a", Cpu(5), {.priority = 1});
  AddPod("b", 0, "root.a", Cpu(5), {.priority = 1});
  const ReclaimPlan plan =
      Run("root.a", Cpu(2), 10, SIZE_MAX, [](size_t, const Strings&) { return false; });
  EXPECT_EQ(plan.outcome, ReclaimOutcome::kNoNodeFits);
  EXPECT_TRUE(plan.victim_ids.empty());
}

TEST_F(ReclaimFlatTreeTest, BeyondMinEvictsOnlyLowerPriorityPodsOfItsOwnLeaf) {
  AddPod("b-other", 0, "root.b", Cpu(4), {.priority = -5});
  AddPod("a-peer", 0, "root.a", Cpu(3), {.priority = 3});
  AddPod("a-low", 0, "root.a", Cpu(3), {.priority = 1});
  const ReclaimPlan plan = Run("root.a", Cpu(3), 3);  // root.a: 6 + 3 > min 5
  EXPECT_EQ(plan.outcome, ReclaimOutcome::kPlanned);
  EXPECT_EQ(Victims(plan), Strings{"a-low"});
  EXPECT_EQ(Run("root.a", Cpu(3), 1).outcome, ReclaimOutcome::kNotWithinGuarantee)
      << "equal priority in its own leaf is not eligible";
}

TEST_F(ReclaimFlatTreeTest, NeverDrivesAVictimsQuotaBelowItsMin) {
  AddPod("b-0", 0, "root.b", Cpu(3), {.priority = -5});
  AddPod("b-1", 0, "root.b", Cpu(3), {.priority = -5});  // root.b: 6, min 5
  AddPod("a-0", 0, "root.a", Cpu(4));
  const ReclaimPlan plan = Run("root.a", Cpu(1));  // within min, but any victim takes b to 3
  EXPECT_EQ(plan.outcome, ReclaimOutcome::kNoEligibleVictims);
  EXPECT_TRUE(plan.victim_ids.empty());
}

TEST_F(ReclaimFlatTreeTest, AWithinGuaranteeReclaimOutranksPriority) {
  AddPod("b-small", 0, "root.b", Cpu(2), {.priority = 100});
  AddPod("b-0", 0, "root.b", Cpu(3), {.priority = 100});
  AddPod("b-1", 0, "root.b", Cpu(3), {.priority = 100});  // root.b: 8, min 5
  AddPod("a-0", 0, "root.a", Cpu(2));
  EXPECT_EQ(Victims(Run("root.a", Cpu(3), 0)), Strings{"b-1"});
}

TEST_F(ReclaimFlatTreeTest, APodFittingOnceTerminatingPodsLeaveGetsAPlanWithoutVictims) {
  AddPod("b-leaving", 0, "root.b", Cpu(5), {.terminating = true});
  AddPod("b-0", 0, "root.b", Cpu(5));
  const ReclaimPlan plan = Run("root.a", Cpu(5));
  EXPECT_EQ(plan.outcome, ReclaimOutcome::kPlanned);
  EXPECT_EQ(plan.node_id, 0u);
  EXPECT_TRUE(plan.victim_ids.empty());
}

TEST_F(ReclaimFlatTreeTest, AnUnquotedPodOrOneRequestingNothingConstrainedIsWithinNoGuarantee) {
  AddPod("b-0", 0, "root.b", Cpu(10));
  EXPECT_EQ(Run("no-such-quota", Cpu(5)).outcome, ReclaimOutcome::kNotWithinGuarantee);
  EXPECT_EQ(Run("root.a", Gpu(1)).outcome, ReclaimOutcome::kNotWithinGuarantee);
}

// Terminating pods on any node are their quota's relief in every node's plan.
TEST_F(ReclaimTest, TerminatingPodsAreNeverVictimsAndCountAsTheirQuotasRelief) {
  AddQuota("root", {.min = Cpu(20), .max = Cpu(20)});
  AddQuota("root.a", {.min = Cpu(12), .max = Cpu(20)}, "root");
  AddQuota("root.b", {.min = Cpu(8), .max = Cpu(20)}, "root");
  AddNode(Cpu(10));
  AddNode(Cpu(10));
  AddPod("b-0", 0, "root.b", Cpu(5));
  AddPod("a-0", 0, "root.a", Cpu(5));
  AddPod("b-leaving", 1, "root.b", Cpu(3), {.terminating = true});
  AddPod("b-1", 1, "root.b", Cpu(5));  // root.b: 13 charged, 10 once b-leaving is gone
  // Evicting b-0 would leave root.b at 5 < min 8 once b-leaving is gone.
  const ReclaimPlan plan = Run("root.a", Cpu(6));
  EXPECT_EQ(plan.outcome, ReclaimOutcome::kNoEligibleVictims);
  EXPECT_TRUE(plan.victim_ids.empty());
}

// Node fit and the choice between nodes: root(20/20) → root.a(10/20), root.b(10/20).
class ReclaimTwoNodesTest : public ReclaimTest {
 protected:
  void SetUp() override {
    AddQuota("root", {.min = Cpu(20), .max = Cpu(20)});
    AddQuota("root.a", {.min = Cpu(10), .max = Cpu(20)}, "root");
    AddQuota("root.b", {.min = Cpu(10), .max = Cpu(20)}, "root");
    AddNode(Cpu(10));
    AddNode(Cpu(10));
  }
};

TEST_F(ReclaimTwoNodesTest, PrefersANodeNeedingOneBigVictimOverTwoSmallOnes) {
  AddPod("small-0", 0, "root.b", Cpu(2), {.priority = -1});
  AddPod("small-1", 0, "root.b", Cpu(2), {.priority = -1});
  AddPod("b-0", 0, "root.b", Cpu(6), {.priority = 5});
  AddPod("big", 1, "root.b", Cpu(4));
  AddPod("b-1", 1, "root.b", Cpu(6), {.priority = 5});  // root.b: 20
  const ReclaimPlan plan = Run("root.a", Cpu(4));
  EXPECT_EQ(plan.node_id, 1u);
  EXPECT_EQ(Victims(plan), Strings{"big"});
}

TEST_F(ReclaimTwoNodesTest, BreaksTiesByPdbViolationsThenByTheFirstVictimsKey) {
  AddPod("protected", 0, "root.b", Cpu(5), {.pdb_allows = false});
  AddPod("b-0", 0, "root.b", Cpu(5), {.pdb_allows = false});
  AddPod("unprotected", 1, "root.b", Cpu(5), {.priority = 7});
  AddPod("b-1", 1, "root.b", Cpu(5), {.priority = 9});
  const ReclaimPlan plan = Run("root.a", Cpu(5));
  EXPECT_EQ(plan.node_id, 1u);
  EXPECT_EQ(Victims(plan), Strings{"unprotected"});
}

TEST_F(ReclaimTwoNodesTest, CountsPdbViolationsBeforeComparingFirstVictims) {
  AddPod("unprotected-low", 0, "root.b", Cpu(3), {.priority = 0});
  AddPod("protected", 0, "root.b", Cpu(3), {.priority = 5, .pdb_allows = false});
  AddPod("b-pinned-0", 0, "root.b", Cpu(4), {.preemptible = false});
  AddPod("unprotected-0", 1, "root.b", Cpu(3), {.priority = 5});
  AddPod("unprotected-1", 1, "root.b", Cpu(3), {.priority = 5});
  AddPod("b-pinned-1", 1, "root.b", Cpu(4), {.preemptible = false});
  const ReclaimPlan plan = Run("root.a", Cpu(6));
  EXPECT_EQ(plan.node_id, 1u);
  EXPECT_EQ(Victims(plan), (Strings{"unprotected-1", "unprotected-0"}));
  EXPECT_EQ(plan.pdb_violations, 0);
}

TEST_F(ReclaimTwoNodesTest, BreaksTiesByTheFirstVictimsKey) {
  AddPod("b-0", 0, "root.b", Cpu(5), {.priority = 3});
  AddPod("b-1", 0, "root.b", Cpu(5), {.priority = 3});
  AddPod("b-2", 1, "root.b", Cpu(5), {.priority = 1});
  AddPod("b-3", 1, "root.b", Cpu(5), {.priority = 3});
  const ReclaimPlan plan = Run("root.a", Cpu(5));
  EXPECT_EQ(plan.node_id, 1u);
  EXPECT_EQ(Victims(plan), Strings{"b-2"});
}

TEST_F(ReclaimTwoNodesTest, BreaksEqualFirstVictimsByTheHighestVictimPriorityThenByNodeOrder) {
  AddPod("first-0", 0, "root.b", Cpu(3), {.priority = 1, .creation_rank = 7});
  AddPod("high", 0, "root.b", Cpu(3), {.priority = 4});
  AddPod("b-pinned-0", 0, "root.b", Cpu(4), {.preemptible = false});
  AddPod("first-1", 1, "root.b", Cpu(3), {.priority = 1, .creation_rank = 7});
  AddPod("low", 1, "root.b", Cpu(3), {.priority = 2});
  AddPod("b-pinned-1", 1, "root.b", Cpu(4), {.preemptible = false});
  const ReclaimPlan plan = Run("root.a", Cpu(6));
  EXPECT_EQ(plan.node_id, 1u);
  EXPECT_EQ(Victims(plan), (Strings{"first-1", "low"}));
}

TEST_F(ReclaimTwoNodesTest, BreaksAFullTieByNodeOrder) {
  for (size_t node : {0u, 1u}) {
    AddPod("b-" + std::to_string(node), node, "root.b", Cpu(5), {.creation_rank = 3});
    AddPod("b-pinned-" + std::to_string(node), node, "root.b", Cpu(5), {.preemptible = false});
  }
  const ReclaimPlan plan = Run("root.a", Cpu(5));
  EXPECT_EQ(plan.node_id, 0u);
  EXPECT_EQ(Victims(plan), Strings{"b-0"});
}

TEST_F(ReclaimTwoNodesTest, SkipsANodeThatCannotFitEvenWithAllItsVictims) {
  AddPod("b-0", 0, "root.b", Cpu(5));
  AddPod("b-pinned", 0, "root.b", Cpu(5), {.preemptible = false});
  AddPod("b-1", 1, "root.b", Cpu(5));
  AddPod("b-2", 1, "root.b", Cpu(3));
  AddPod("a-0", 1, "root.a", Cpu(2));
  const ReclaimPlan plan = Run("root.a", Cpu(8));  // only node 1 can free 8
  EXPECT_EQ(plan.outcome, ReclaimOutcome::kPlanned);
  EXPECT_EQ(plan.node_id, 1u);
  EXPECT_EQ(Victims(plan), (Strings{"b-2", "b-1"}));
}

TEST_F(ReclaimTwoNodesTest, NeverCombinesVictimsOfDifferentNodes) {
  AddPod("b-0", 0, "root.b", Cpu(5));
  AddPod("b-pinned-0", 0, "root.b", Cpu(5), {.preemptible = false});
  AddPod("b-1", 1, "root.b", Cpu(5));
  AddPod("b-pinned-1", 1, "root.b", Cpu(5), {.preemptible = false});
  const ReclaimPlan plan = Run("root.a", Cpu(8));
  EXPECT_EQ(plan.outcome, ReclaimOutcome::kNoNodeFits);
  EXPECT_TRUE(plan.victim_ids.empty());
}

// root(40/40) → x(20/40) → x.p(10/40) → {x.p.1(5/40), x.p.2(5/40)}; y(20/40) → y.q(20/40).
class ReclaimHierarchyTest : public ReclaimTest {
 protected:
  void SetUp() override {
    AddQuota("root", {.min = Cpu(40), .max = Cpu(40)});
    AddQuota("x", {.min = Cpu(20), .max = Cpu(40)}, "root");
    AddQuota("x.p", {.min = Cpu(10), .max = Cpu(40)}, "x");
    AddQuota("x.p.1", {.min = Cpu(5), .max = Cpu(40)}, "x.p");
    AddQuota("x.p.2", {.min = Cpu(5), .max = Cpu(40)}, "x.p");
    AddQuota("y", {.min = Cpu(20), .max = Cpu(40)}, "root");
    AddQuota("y.q", {.min = Cpu(20), .max = Cpu(40)}, "y");
    AddNode(Cpu(40));
  }
};

TEST_F(ReclaimHierarchyTest, ReclaimsFromASiblingAboveItsMinButNotFromACousinWhenTheParentIsOver) {
  // x.p.1 is within its min, but x.p (15 + 5 > 10) is not: only its sibling may give.
  AddPod("cousin", 0, "y.q", Cpu(5), {.priority = -10});
  AddPod("y-0", 0, "y.q", Cpu(20));
  AddPod("x-0", 0, "x.p.2", Cpu(10));
  AddPod("sibling", 0, "x.p.2", Cpu(5));
  const ReclaimPlan plan = Run("x.p.1", Cpu(5));
  EXPECT_EQ(plan.outcome, ReclaimOutcome::kPlanned);
  EXPECT_EQ(Victims(plan), Strings{"sibling"});
}

TEST_F(ReclaimHierarchyTest, CannotReclaimFromACousinWhenTheParentIsOverItsMin) {
  AddPod("cousin", 0, "y.q", Cpu(25));
  AddPod("sibling", 0, "x.p.2", Cpu(15), {.preemptible = false});
  EXPECT_EQ(Run("x.p.1", Cpu(5)).outcome, ReclaimOutcome::kNotWithinGuarantee);
}

TEST_F(ReclaimTest, NeverTakesTwoVictimsThatTogetherDriveTheirQuotaBelowMin) {
  AddQuota("root", {.min = Cpu(22), .max = Cpu(22)});
  AddQuota("root.a", {.min = Cpu(14), .max = Cpu(22)}, "root");
  AddQuota("root.b", {.min = Cpu(8), .max = Cpu(22)}, "root");
  AddNode(Cpu(10));
  AddNode(Cpu(12));
  AddPod("b-0", 0, "root.b", Cpu(3));
  AddPod("b-1", 0, "root.b", Cpu(3));  // either alone may go (12 - 3 >= 8), not both
  AddPod("a-0", 0, "root.a", Cpu(4));
  AddPod("b-2", 1, "root.b", Cpu(6));
  AddPod("a-1", 1, "root.a", Cpu(6));
  EXPECT_EQ(Victims(Run("root.a", Cpu(3))), Strings{"b-1"});
  EXPECT_EQ(Run("root.a", Cpu(4)).outcome, ReclaimOutcome::kNoNodeFits);
}

TEST_F(ReclaimTest, NeverDrivesAVictimsAncestorBelowTheLcaUnderItsMin) {
  AddQuota("root", {.min = Cpu(40), .max = Cpu(40)});
  AddQuota("a", {.min = Cpu(20), .max = Cpu(40)}, "root");
  AddQuota("a.1", {.min = Cpu(5), .max = Cpu(40)}, "a");
  AddQuota("a.2", {.min = Cpu(5), .max = Cpu(40)}, "a");
  AddQuota("b", {.min = Cpu(20), .max = Cpu(40)}, "root");
  AddQuota("b.1", {.min = Cpu(10), .max = Cpu(40)}, "b");
  AddNode(Cpu(25));
  Fill("a1", "a.1", Cpu(5), 3);  // a.1: 15, well above its min 5...
  Fill("a2", "a.2", Cpu(5), 1);  // ...but a: 20, at its min
  Fill("b1", "b.1", Cpu(5), 1);
  const ReclaimPlan plan = Run("b.1", Cpu(5));
  EXPECT_EQ(plan.outcome, ReclaimOutcome::kNoEligibleVictims);
  EXPECT_TRUE(plan.victim_ids.empty());
}

// root(40/40) → x(20/40) → x.p(20/40) → {x.p.1(5/40), x.p.2(5/40)}; y(20/40) → y.q(20/40).
TEST_F(ReclaimTest, PrefersTheCloserSubtreeWhenExcessesTieOnTheirCommonLevels) {
  AddQuota("root", {.min = Cpu(40), .max = Cpu(40)});
  AddQuota("x", {.min = Cpu(20), .max = Cpu(40)}, "root");
  AddQuota("x.p", {.min = Cpu(20), .max = Cpu(40)}, "x");
  AddQuota("x.p.1", {.min = Cpu(5), .max = Cpu(40)}, "x.p");
  AddQuota("x.p.2", {.min = Cpu(5), .max = Cpu(40)}, "x.p");
  AddQuota("y", {.min = Cpu(20), .max = Cpu(40)}, "root");
  AddQuota("y.q", {.min = Cpu(20), .max = Cpu(40)}, "y");
  AddNode(Cpu(35));
  Fill("near", "x.p.2", Cpu(5), 2);  // e(x.p.2) = 1
  Fill("far", "y.q", Cpu(5), 5);     // e(y) = 1, e(y.q) = 1: [1] is a prefix of [1, 1]
  EXPECT_EQ(Victims(Run("x.p.1", Cpu(5))), Strings{"near-1"});
}

// GPUs: root(gpu 4/4) → dev1(2/4), dev2(2/4); cpu is not constrained by the tree.
TEST_F(ReclaimTest, ReclaimsTheConstrainedGpuAndIgnoresPodsHoldingOnlyCpu) {
  AddQuota("root", {.min = Gpu(4), .max = Gpu(4)});
  AddQuota("dev1", {.min = Gpu(2), .max = Gpu(4)}, "root");
  AddQuota("dev2", {.min = Gpu(2), .max = Gpu(4)}, "root");
  AddNode(CpuGpu(16, 2));
  AddNode(CpuGpu(16, 2));
  AddPod("cpu-only", 0, "dev1", Cpu(8), {.priority = -10});
  AddPod("d1-0", 0, "dev1", CpuGpu(2, 1));
  AddPod("d1-1", 0, "dev1", CpuGpu(2, 1));
  AddPod("d1-2", 1, "dev1", CpuGpu(2, 1));
  AddPod("d2-0", 1, "dev2", CpuGpu(2, 1));
  const ReclaimPlan plan = Run("dev2", CpuGpu(4, 1));
  EXPECT_EQ(plan.outcome, ReclaimOutcome::kPlanned);
  EXPECT_EQ(plan.node_id, 1u);
  EXPECT_EQ(Victims(plan), Strings{"d1-2"});
  Apply(plan, "d2-1", "dev2", CpuGpu(4, 1));
  EXPECT_EQ(Run("dev2", CpuGpu(4, 1)).outcome, ReclaimOutcome::kNotWithinGuarantee);
}

// Random full clusters, against one run per node (which has nothing to prune): the plan is
// its node's own plan, and no node has one with fewer victims, or fewer PDB violations.
class ReclaimRandomClusterTest : public ReclaimTest, public ::testing::WithParamInterface<int> {};

TEST_P(ReclaimRandomClusterTest, ChoosesTheNodeWhosePlanHasTheFewestVictims) {
  std::mt19937 rng(static_cast<uint32_t>(GetParam()));
  auto pick = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  AddQuota("root", {.min = Cpu(48), .max = Cpu(48)});
  std::vector<std::string> leaves;
  for (std::string group : {"g0", "g1"}) {
    AddQuota(group, {.min = Cpu(24), .max = Cpu(48)}, "root");
    for (std::string leaf : {".0", ".1"}) {
      leaves.push_back(group + leaf);
      AddQuota(leaves.back(), {.min = Cpu(pick(2, 12)), .max = Cpu(48)}, group);
    }
  }
  auto any_leaf = [&] { return leaves[static_cast<size_t>(pick(0, 3))]; };
  for (int n = 0; n < 6; ++n) {
    AddNode(Cpu(8));
    for (int used = 0, cpu = 0; used < 8; used += cpu) {
      cpu = std::min(pick(1, 4), 8 - used);
      AddPod("p" + std::to_string(n) + "-" + std::to_string(used), static_cast<size_t>(n),
             any_leaf(), Cpu(cpu),
             {.priority = pick(0, 3), .preemptible = pick(0, 9) > 0, .pdb_allows = pick(0, 4) > 0});
    }
  }
  const std::string quota = any_leaf();
  const int cpu = pick(1, 6);
  const int32_t priority = pick(0, 4);
  const ReclaimPlan plan = Run(quota, Cpu(cpu), priority);
  size_t fewest = SIZE_MAX;
  int fewest_pdb = 0;
  for (size_t n = 0; n < node_count(); ++n) {
    const ReclaimPlan own = Run(quota, Cpu(cpu), priority, n);
    if (own.outcome != ReclaimOutcome::kPlanned) continue;
    if (own.victim_ids.size() < fewest ||
        (own.victim_ids.size() == fewest && own.pdb_violations < fewest_pdb)) {
      fewest = own.victim_ids.size();
      fewest_pdb = own.pdb_violations;
    }
    if (plan.outcome == ReclaimOutcome::kPlanned && n == plan.node_id) {
      EXPECT_EQ(Victims(plan), Victims(own));
    }
  }
  ASSERT_EQ(plan.outcome == ReclaimOutcome::kPlanned, fewest != SIZE_MAX);
  if (plan.outcome != ReclaimOutcome::kPlanned) return;
  EXPECT_EQ(plan.victim_ids.size(), fewest);
  EXPECT_EQ(plan.pdb_violations, fewest_pdb);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ReclaimRandomClusterTest, ::testing::Range(0, 300));

}  // namespace
}  // namespace quotient::quota

namespace quotient::quota {
namespace {

// A max-only limit guarantees nothing: a pod-count cap must not make every pod "beyond
// its guarantee" (every pod requests pods: 1).
TEST_F(ReclaimTest, AMaxOnlyLimitSuchAsAPodCountCapDoesNotSwitchOffReclaim) {
  AddQuota("root", {.min = Cpu(10), .max = Cpu(10)});
  AddQuota("root.a", {.min = Cpu(5), .max = Cpu(10)}, "root");
  AddQuota("root.b", {.min = Cpu(5), .max = ResourceList{{kResourceCpu, 10000}, {"pods", 10}}},
           "root");
  AddNode(Cpu(10));
  const ResourceList pod{{kResourceCpu, 5000}, {kResourcePods, 1}};
  Fill("a", "root.a", pod, 2);
  const ReclaimPlan plan = Run("root.b", pod);
  EXPECT_EQ(plan.outcome, ReclaimOutcome::kPlanned);
  EXPECT_EQ(plan.victim_ids.size(), 1u);
}

}  // namespace
}  // namespace quotient::quota

namespace quotient::quota {
namespace {

// A quota with only a max guarantees nothing: a pod over it is refused by rule 4b and
// cannot reclaim (no zero-victim "plan" that ignores the max).
TEST_F(ReclaimTest, AMaxOnlyQuotaCannotReclaimPastItsMax) {
  AddQuota("root", {.min = {}, .max = Cpu(16)});
  AddQuota("a", {.min = {}, .max = Cpu(4)}, "root");
  AddNode(Cpu(16));
  Fill("a", "a", Cpu(2), 2);
  EXPECT_EQ(Run("a", Cpu(2)).outcome, ReclaimOutcome::kNotWithinGuarantee);
}

}  // namespace
}  // namespace quotient::quota
