// A replica that does not hold the lease decides nothing: every verb answers an error that
// names the leader; the leader passes everything through.
#include "extender/decide/leader_gate_decider.h"

#include <gtest/gtest.h>

#include <atomic>

#include "extender/control/control_test_util.h"

namespace quotient::extender::state {
namespace {

class FakeFence : public kube::WriteFence {
 public:
  bool MayWrite() const override { return open.load(); }
  std::string Why() const override { return "not the leader: the lease is held by b_1"; }
  std::atomic<bool> open{false};
};

ExtenderArgs Args() {
  ExtenderArgs args;
  args.pod = testing::MakePod("u1", "ns", 1);
  args.has_node_names = true;
  args.nodes = {{"n1", {}}, {"n2", {}}};
  return args;
}

TEST(LeaderGateDeciderTest, AFollowerRefusesEveryVerbNamingTheLeader) {
  FakeFence fence;
  LeaderGateDecider gate(std::make_unique<PassThroughDecider>(), &fence);
  const ExtenderArgs args = Args();
  FilterDecision f = gate.Filter(args);
  EXPECT_TRUE(f.answer.passed.empty());
  EXPECT_EQ(f.result, DecisionResult::kError);
  EXPECT_EQ(f.reason, DecisionReason::kNotLeader);
  EXPECT_EQ(f.answer.error, "quotient: not the leader: the lease is held by b_1");
  PrioritizeDecision p = gate.Prioritize(args);
  EXPECT_EQ(p.scores, std::vector<int64_t>({0, 0}));
  EXPECT_EQ(p.reason, DecisionReason::kNotLeader);
  PreemptionArgs preempt;
  preempt.pod = args.pod;
  preempt.nodes.push_back({"n1", {"v1"}, 0});
  PreemptDecision d = gate.Preempt(preempt);
  EXPECT_TRUE(d.nodes.empty());
  EXPECT_EQ(d.reason, DecisionReason::kNotLeader);
  BindDecision b = testing::RunAwaitable(gate.Bind(BindingArgs{"p", "ns", "u1", "n1"}));
  EXPECT_EQ(b.reason, DecisionReason::kNotLeader);
  EXPECT_NE(b.error.find("held by b_1"), std::string::npos);
}

TEST(LeaderGateDeciderTest, TheLeaderPassesEverythingThrough) {
  FakeFence fence;
  fence.open = true;
  LeaderGateDecider gate(std::make_unique<PassThroughDecider>(), &fence);
  FilterDecision f = gate.Filter(Args());
  EXPECT_EQ(f.answer.passed.size(), 2u);
  EXPECT_EQ(f.reason, DecisionReason::kNoPolicy);
  EXPECT_NE(gate.Describe().find("leader-elected"), std::string::npos);
}

}  // namespace
}  // namespace quotient::extender::state
