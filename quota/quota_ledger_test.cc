#include "quota/quota_ledger.h"

#include <gtest/gtest.h>

#include "quota/quota_test_util.h"

namespace quotient::quota {
namespace {

using std::chrono::seconds;

PodDemand Pod(std::string uid, std::string ns, int64_t cores) {
  return {std::move(uid), std::move(ns), ResourceList{{"cpu", cores * 1000}, {"pods", 1}}};
}

class QuotaLedgerTest : public ::testing::Test {
 protected:
  int64_t Cpu(const std::string& quota, bool used = false) {
    const QuotaUsage& u = ledger_.usage();
    QuotaId id = u.tree().Find(quota);
    int32_t cpu = u.tree().ResourceIndex("cpu");
    return (used ? u.Used(id, cpu) : u.Charged(id, cpu)) / 1000;
  }
  TimePoint now_{};
  QuotaLedger ledger_{testing::Scenario1Tree().Build(), {}};
};

TEST_F(QuotaLedgerTest, ReservationsAreIdempotentPerUid) {
  EXPECT_EQ(ledger_.Reserve(Pod("u1", "namespace1", 5), now_ + seconds(30)).code,
            AdmitCode::kAdmitted);
  EXPECT_EQ(ledger_.Reserve(Pod("u1", "namespace1", 5), now_ + seconds(30)).code,
            AdmitCode::kAlreadyHeld);
  EXPECT_EQ(Cpu("root.a.1"), 5);
  EXPECT_EQ(ledger_.reserved_count(), 1u);
}

TEST_F(QuotaLedgerTest, ADecisionNamesTheTreeItsIdsAreOf) {
  // A reload to another shape: root.a.1 is not the same ID, or not there at all.
  const QuotaTree* first = &ledger_.usage().tree();
  AdmitDecision admitted = ledger_.Reserve(Pod("u1", "namespace1", 5), now_ + seconds(30));
  EXPECT_EQ(admitted.tree, first);
  EXPECT_EQ(admitted.tree->name(admitted.leaf), "root.a.1");
  AdmitDecision refused = ledger_.Check(Pod("u2", "namespace1", 500));
  ASSERT_EQ(refused.code, AdmitCode::kRejectedMax);
  EXPECT_EQ(refused.tree, first);
  const ResourceList ten{{"cpu", 10'000}};
  ledger_.Reload(
      testing::TreeBuilder({ten, ten, {}})
          .AddQuota("root.x", "root", {ResourceList{{"cpu", 1'000}}, ten, {"namespace1"}})
          .Build(),
      now_);
  const QuotaTree* second = &ledger_.usage().tree();
  ASSERT_NE(second, first);
  EXPECT_EQ(first->name(admitted.leaf), "root.a.1");  // the old tree outlives the decision
  AdmitDecision held = ledger_.Reserve(Pod("u1", "namespace1", 5), now_ + seconds(30));
  EXPECT_EQ(held.code, AdmitCode::kAlreadyHeld);
  EXPECT_EQ(held.tree, second);
  AdmitDecision checked = ledger_.Check(Pod("u1", "namespace1", 5));
  EXPECT_EQ(checked.code, AdmitCode::kAlreadyHeld);
  EXPECT_EQ(checked.tree, second);
  EXPECT_EQ(held.tree->name(held.leaf), "root.x");
  AdmitDecision reclaimed = ledger_.ReserveReclaimed(Pod("u3", "namespace1", 1), now_);
  EXPECT_EQ(reclaimed.tree, second);
}

TEST_F(QuotaLedgerTest, RechargeReplacesAPodsChargeAndBindsIt) {
  ledger_.Bind(Pod("u1", "namespace1", 5));
  ledger_.Recharge(Pod("u1", "namespace1", 7));  // resized: the charge follows
  EXPECT_EQ(Cpu("root.a.1"), 7);
  EXPECT_EQ(Cpu("root.a.1", /*used=*/true), 7);
  ASSERT_TRUE(ledger_.Reserve(Pod("u2", "namespace1", 2), now_ + seconds(30)).admitted());
  ledger_.Recharge(Pod("u2", "namespace1", 3));  // a reservation becomes a bound charge
  EXPECT_EQ(Cpu("root.a.1"), 10);
  EXPECT_EQ(Cpu("root.a.1", /*used=*/true), 10);
  ledger_.Recharge(Pod("u3", "namespace2", 4));  // unknown: charged like Bind
  EXPECT_EQ(Cpu("root.a.2", /*used=*/true), 4);
  EXPECT_EQ(ledger_.bound_count(), 3u);
  EXPECT_EQ(ledger_.reserved_count(), 0u);
  for (const char* uid : {"u1", "u2", "u3"}) EXPECT_TRUE(ledger_.Release(uid));
  EXPECT_EQ(Cpu("root"), 0);
  EXPECT_EQ(Cpu("root", /*used=*/true), 0);
}

TEST_F(QuotaLedgerTest, FifthPodOfNamespace1IsRefusedByItsLeafMax) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(ledger_.Reserve(Pod("u" + std::to_string(i), "namespace1", 5), now_).admitted());
  }
  AdmitDecision d = ledger_.Reserve(Pod("u4", "namespace1", 5), now_);
  EXPECT_EQ(d.code, AdmitCode::kRejectedMax);
  EXPECT_EQ(ledger_.usage().tree().name(d.refusal.quota), "root.a.1");
  EXPECT_EQ(d.refusal.request, 5000);
  EXPECT_EQ(d.refusal.max, 20000);
  EXPECT_FALSE(ledger_.Holds("u4"));
  EXPECT_EQ(ledger_.Check(Pod("u5", "namespace1", 5)).code, AdmitCode::kRejectedMax);
}

TEST_F(QuotaLedgerTest, AReclaimReservationIsChargedBeyondMaxUntilItsVictimsLeave) {
  for (int i = 0; i < 4; ++i) ledger_.Bind(Pod("a" + std::to_string(i), "namespace1", 5));
  for (int i = 0; i < 4; ++i) ledger_.Bind(Pod("b" + std::to_string(i), "namespace2", 5));
  ASSERT_EQ(ledger_.Check(Pod("p", "namespace3", 5)).code, AdmitCode::kRejectedMax);
  // The victim a3 is evicted; the reclaiming pod holds its room while a3 terminates.
  AdmitDecision d = ledger_.ReserveReclaimed(Pod("p", "namespace3", 5), now_ + seconds(60));
  EXPECT_EQ(d.code, AdmitCode::kAdmitted);
  EXPECT_EQ(Cpu("root"), 45);  // both charged: nobody else can take the room meanwhile
  EXPECT_EQ(ledger_.Check(Pod("q", "namespace4", 5)).code, AdmitCode::kRejectedMax);
  ASSERT_TRUE(ledger_.Release("a3"));
  EXPECT_EQ(Cpu("root"), 40);
  EXPECT_EQ(ledger_.Check(Pod("r", "namespace1", 5)).code, AdmitCode::kRejectedMax)
      << "the victim's replacement cannot win the room back";
  EXPECT_EQ(ledger_.ReserveReclaimed(Pod("p", "namespace3", 5), now_).code,
            AdmitCode::kAlreadyHeld);
  EXPECT_EQ(ledger_.ReserveReclaimed(Pod("x", "elsewhere", 5), now_).code, AdmitCode::kUnquoted);
  EXPECT_FALSE(ledger_.Holds("x"));
}

TEST_F(QuotaLedgerTest, UnquotedNamespacesFollowThePolicy) {
  EXPECT_EQ(ledger_.Reserve(Pod("s1", "kube-system", 100), now_).code, AdmitCode::kUnquoted);
  EXPECT_EQ(Cpu("root"), 0);
  QuotaLedger strict(testing::Scenario1Tree().Build(), {.allow_unquoted_namespaces = false});
  EXPECT_EQ(strict.Reserve(Pod("s1", "kube-system", 1), now_).code, AdmitCode::kRejectedUnquoted);
}

TEST_F(QuotaLedgerTest, BindTurnsAReservationIntoUsage) {
  ASSERT_TRUE(ledger_.Reserve(Pod("u1", "namespace2", 5), now_ + seconds(30)).admitted());
  ledger_.Bind(Pod("u1", "namespace2", 5));
  ledger_.Bind(Pod("u1", "namespace2", 5));  // watch replays are harmless
  EXPECT_EQ(Cpu("root.a.2"), 5);
  EXPECT_EQ(Cpu("root.a.2", /*used=*/true), 5);
  EXPECT_EQ(ledger_.ExpireReservations(now_ + seconds(60)), 0u);  // bound pods never expire
  EXPECT_TRUE(ledger_.Release("u1"));
  EXPECT_EQ(Cpu("root"), 0);
  EXPECT_EQ(Cpu("root", true), 0);
  EXPECT_FALSE(ledger_.Release("u1"));
}

TEST_F(QuotaLedgerTest, PodsFoundRunningAreChargedEvenOverMax) {
  for (int i = 0; i < 5; ++i) ledger_.Bind(Pod("r" + std::to_string(i), "namespace1", 5));
  EXPECT_EQ(Cpu("root.a.1"), 25);
  EXPECT_EQ(ledger_.Reserve(Pod("new", "namespace1", 1), now_).code, AdmitCode::kRejectedMax);
}

TEST_F(QuotaLedgerTest, ExpiredReservationsGiveTheirQuotaBack) {
  ASSERT_TRUE(ledger_.Reserve(Pod("a", "namespace3", 5), now_ + seconds(10)).admitted());
  ASSERT_TRUE(ledger_.Reserve(Pod("b", "namespace3", 5), now_ + seconds(20)).admitted());
  EXPECT_EQ(ledger_.ExpireReservations(now_ + seconds(15)), 1u);
  EXPECT_EQ(Cpu("root.b.1"), 5);
  EXPECT_FALSE(ledger_.Holds("a"));
  EXPECT_TRUE(ledger_.Holds("b"));
}

TEST_F(QuotaLedgerTest, ReservingAgainExtendsTheReservation) {
  ASSERT_TRUE(ledger_.Reserve(Pod("a", "namespace3", 5), now_ + seconds(10)).admitted());
  EXPECT_EQ(ledger_.Reserve(Pod("a", "namespace3", 5), now_ + seconds(40)).code,
            AdmitCode::kAlreadyHeld);
  EXPECT_EQ(ledger_.ExpireReservations(now_ + seconds(30)), 0u);
  EXPECT_EQ(ledger_.ExpireReservations(now_ + seconds(40)), 1u);
  EXPECT_EQ(Cpu("root.b.1"), 0);
}

TEST_F(QuotaLedgerTest, CancellingAReservationGivesItsQuotaBackButNeverUnbinds) {
  ASSERT_TRUE(ledger_.Reserve(Pod("a", "namespace3", 5), now_ + seconds(10)).admitted());
  ASSERT_TRUE(ledger_.Reserve(Pod("b", "namespace3", 5), now_ + seconds(10)).admitted());
  ledger_.Bind(Pod("b", "namespace3", 5));
  EXPECT_TRUE(ledger_.CancelReservation("a"));
  EXPECT_FALSE(ledger_.CancelReservation("b"));
  EXPECT_FALSE(ledger_.CancelReservation("unknown"));
  EXPECT_EQ(Cpu("root.b.1"), 5);
  EXPECT_EQ(Cpu("root.b.1", /*used=*/true), 5);
}

TEST_F(QuotaLedgerTest, LookupReturnsWhatTheLedgerHolds) {
  ASSERT_TRUE(ledger_.Reserve(Pod("a", "namespace3", 5), now_ + seconds(10)).admitted());
  PodDemand demand;
  ASSERT_TRUE(ledger_.Lookup("a", &demand));
  EXPECT_EQ(demand.ns, "namespace3");
  EXPECT_EQ(demand.requests.Get("cpu"), 5000);
  EXPECT_FALSE(ledger_.Lookup("b", &demand));
}

TEST_F(QuotaLedgerTest, ReloadRecomputesUsageAndLoweringMaxEvictsNothing) {
  for (int i = 0; i < 4; ++i) ledger_.Bind(Pod("r" + std::to_string(i), "namespace1", 5));
  auto cpu = [](int64_t c) { return ResourceList{{"cpu", c * 1000}}; };
  testing::TreeBuilder lowered({cpu(40), cpu(40), {}});
  lowered.AddQuota("root.a", "root", {cpu(20), cpu(40), {}})
      .AddQuota("root.a.1", "root.a", {cpu(10), cpu(10), {"namespace1"}});
  ledger_.Reload(lowered.Build(), now_);
  EXPECT_EQ(Cpu("root.a.1"), 20);  // over the new max: kept, not evicted
  EXPECT_EQ(ledger_.bound_count(), 4u);
  EXPECT_EQ(ledger_.Reserve(Pod("x", "namespace1", 1), now_).code, AdmitCode::kRejectedMax);
  // namespace2 is on no leaf of the new tree: unquoted now.
  EXPECT_EQ(ledger_.Reserve(Pod("y", "namespace2", 1), now_).code, AdmitCode::kUnquoted);
}

TEST_F(QuotaLedgerTest, ReloadMovesANamespaceToItsNewLeaf) {
  ledger_.Bind(Pod("r", "namespace1", 5));
  auto cpu = [](int64_t c) { return ResourceList{{"cpu", c * 1000}}; };
  testing::TreeBuilder moved({cpu(40), cpu(40), {}});
  moved.AddQuota("root.b", "root", {cpu(20), cpu(40), {}})
      .AddQuota("root.b.9", "root.b", {cpu(10), cpu(20), {"namespace1"}});
  ledger_.Reload(moved.Build(), now_);
  EXPECT_EQ(Cpu("root.b.9"), 5);
  EXPECT_EQ(Cpu("root.b.9", true), 5);
  EXPECT_TRUE(ledger_.Release("r"));
  EXPECT_EQ(Cpu("root"), 0);
}

}  // namespace
}  // namespace quotient::quota
