// Hot reload: valid edits are published, invalid ones are rejected while the last good
// tree keeps serving; quota gauges follow the ledger.
#include "extender/state/quota_file_watcher.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace quotient::extender {
namespace {

constexpr char kTree[] = R"(apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
metadata: {name: t, namespace: kube-system}
spec:
  root:
    name: root
    min: {cpu: 40}
    max: {cpu: 40}
    children:
    - name: team-a
      namespaces: [a]
      min: {cpu: 10}
      max: {cpu: MAX}
)";

std::string Tree(const std::string& max) {
  std::string text = kTree;
  text.replace(text.find("MAX"), 3, max);
  return text;
}

class QuotaFileWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Write(Tree("20"));
    std::shared_ptr<const quota::QuotaTree> tree;
    config::ConfigErrors errors;
    ASSERT_TRUE(CompileQuotaText(Tree("20"), path_, &tree, &errors)) << FormatErrors(errors);
    ledger_ = std::make_unique<quota::QuotaLedger>(tree, quota::QuotaLedger::Options{});
    metrics_ = std::make_unique<QuotaMetrics>(&registry_, ledger_.get());
    watcher_ = std::make_unique<QuotaFileWatcher>(ioc_, path_, std::chrono::milliseconds(100),
                                                  Tree("20"), ledger_.get(), metrics_.get());
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void Write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }
  int64_t MaxCpu() {
    auto tree = ledger_->tree();
    return tree->Max(tree->Find("team-a"), tree->ResourceIndex("cpu"));
  }
  std::string Metrics() { return registry_.Render(); }
  // Two polls of a changed file: the first sees it settling, the second acts on it.
  static QuotaFileWatcher::Outcome Settled(QuotaFileWatcher& watcher) {
    EXPECT_EQ(watcher.CheckNow(), QuotaFileWatcher::Outcome::kSettling);
    return watcher.CheckNow();
  }

  // One file per test: ctest runs each test as its own process, in parallel.
  std::string path_ = ::testing::TempDir() + "/quota_watcher_test_" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".yaml";
  boost::asio::io_context ioc_;
  metrics::Registry registry_;
  std::unique_ptr<quota::QuotaLedger> ledger_;
  std::unique_ptr<QuotaMetrics> metrics_;
  std::unique_ptr<QuotaFileWatcher> watcher_;
};

TEST_F(QuotaFileWatcherTest, AnUnchangedFileIsNotReloaded) {
  EXPECT_EQ(watcher_->CheckNow(), QuotaFileWatcher::Outcome::kUnchanged);
}

TEST_F(QuotaFileWatcherTest, AValidEditIsPublished) {
  Write(Tree("30"));
  EXPECT_EQ(Settled(*watcher_), QuotaFileWatcher::Outcome::kReloaded);
  EXPECT_EQ(MaxCpu(), 30000);
  EXPECT_NE(
      Metrics().find("quotient_config_reloads_total{source=\"quota_file\",result=\"success\"} 1"),
      std::string::npos);
}

TEST_F(QuotaFileWatcherTest, AnInvalidEditIsRejectedOnceAndTheLastGoodTreeKeepsServing) {
  Write(Tree("5"));  // min 10 > max 5
  EXPECT_EQ(Settled(*watcher_), QuotaFileWatcher::Outcome::kRejected);
  EXPECT_EQ(MaxCpu(), 20000);
  EXPECT_EQ(watcher_->CheckNow(), QuotaFileWatcher::Outcome::kUnchanged);  // reported once
  std::string text = Metrics();
  EXPECT_NE(text.find("quotient_config_reloads_total{source=\"quota_file\",result=\"failure\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("quotient_config_last_reload_successful{source=\"quota_file\"} 0"),
            std::string::npos);
  Write("{not: [yaml");
  EXPECT_EQ(Settled(*watcher_), QuotaFileWatcher::Outcome::kRejected);
  Write(Tree("25"));
  EXPECT_EQ(Settled(*watcher_), QuotaFileWatcher::Outcome::kReloaded);
  EXPECT_EQ(MaxCpu(), 25000);
}

// A write in place read half done: the prefix, a valid tree without the new quota, is seen once
// and the next poll reads the whole file, so the prefix is never published.
TEST_F(QuotaFileWatcherTest, AFileReadMidWriteIsNotPublishedUntilItReadsTheSameTwice) {
  // The file gains a quota for namespace b; read half written, it has none (b unquoted).
  const std::string whole = Tree("30") +
                            "    - name: team-b\n"
                            "      namespaces: [b]\n"
                            "      max: {cpu: 10}\n";
  const std::string torn = whole.substr(0, whole.find("    - name: team-b"));
  std::shared_ptr<const quota::QuotaTree> tree;
  config::ConfigErrors errors;
  ASSERT_TRUE(CompileQuotaText(torn, path_, &tree, &errors)) << FormatErrors(errors);
  Write(torn);
  EXPECT_EQ(watcher_->CheckNow(), QuotaFileWatcher::Outcome::kSettling);
  Write(whole);  // the writer finishes
  EXPECT_EQ(watcher_->CheckNow(), QuotaFileWatcher::Outcome::kSettling);
  EXPECT_EQ(MaxCpu(), 20000);  // neither published yet
  EXPECT_EQ(watcher_->CheckNow(), QuotaFileWatcher::Outcome::kReloaded);
  EXPECT_EQ(MaxCpu(), 30000);
  EXPECT_NE(ledger_->tree()->LeafForNamespace("b"), quota::kNoQuota);
  EXPECT_NE(
      Metrics().find("quotient_config_reloads_total{source=\"quota_file\",result=\"success\"} 1"),
      std::string::npos);
  // A torn read that heals back to what serves is no change at all.
  Write(torn);
  EXPECT_EQ(watcher_->CheckNow(), QuotaFileWatcher::Outcome::kSettling);
  Write(whole);
  EXPECT_EQ(watcher_->CheckNow(), QuotaFileWatcher::Outcome::kUnchanged);
  EXPECT_EQ(watcher_->CheckNow(), QuotaFileWatcher::Outcome::kUnchanged);
}

// Hostile edits (issue 18) take the same path as any bad edit: refused, counted, the last
// good tree keeps serving, and the process lives on.
TEST_F(QuotaFileWatcherTest, OversizedCyclicAndExplodingFilesAreRejectedAndCounted) {
  QuotaFileWatcher small(ioc_, path_, std::chrono::milliseconds(100), Tree("20"), ledger_.get(),
                         metrics_.get(), /*max_file_bytes=*/4096);
  Write(Tree("30") + "#" + std::string(5000, 'x') + "\n");  // valid, but past the cap
  EXPECT_EQ(Settled(small), QuotaFileWatcher::Outcome::kRejected);
  EXPECT_EQ(small.CheckNow(), QuotaFileWatcher::Outcome::kUnchanged);  // reported once
  Write(
      "apiVersion: scheduling.sigs.k8s.io/v1beta1\nkind: ElasticQuotaTree\n"
      "spec:\n  root: &r {name: root, children: [*r]}\n");
  EXPECT_EQ(Settled(small), QuotaFileWatcher::Outcome::kRejected);
  std::string list = "kind: List\nitems:\n- kind: List\n  items: &l0 [{kind: Namespace}]\n";
  for (int level = 1; level < 30; ++level) {
    list += "- kind: List\n  items: &l" + std::to_string(level) + " [{kind: List, items: *l" +
            std::to_string(level - 1) + "}, {kind: List, items: *l" + std::to_string(level - 1) +
            "}]\n";
  }
  Write(list);  // 2^29 objects
  EXPECT_EQ(Settled(small), QuotaFileWatcher::Outcome::kRejected);
  EXPECT_EQ(MaxCpu(), 20000);
  EXPECT_NE(
      Metrics().find("quotient_config_reloads_total{source=\"quota_file\",result=\"failure\"} 3"),
      std::string::npos)
      << Metrics();
  Write(Tree("25"));
  EXPECT_EQ(Settled(small), QuotaFileWatcher::Outcome::kReloaded);
  EXPECT_EQ(MaxCpu(), 25000);
}

TEST_F(QuotaFileWatcherTest, AFilePastTheCapIsRefusedNamingTheSettingThatSetsIt) {
  Write(Tree("30"));
  std::string text;
  config::ConfigErrors errors;
  EXPECT_FALSE(ReadQuotaFile(path_, 8, &text, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message,
            "the file holds more than 8 bytes, the limit (server.limits.maxFileBytes)");
}

TEST_F(QuotaFileWatcherTest, AMissingFileIsRejectedAndItsReturnReloads) {
  std::remove(path_.c_str());
  EXPECT_EQ(Settled(*watcher_), QuotaFileWatcher::Outcome::kRejected);
  EXPECT_EQ(MaxCpu(), 20000);
  Write(Tree("20"));
  EXPECT_EQ(Settled(*watcher_), QuotaFileWatcher::Outcome::kReloaded);
}

TEST_F(QuotaFileWatcherTest, QuotaGaugesFollowTheLedger) {
  ledger_->Bind({"u1", "a", quota::ResourceList{{"cpu", 2500}, {"pods", 1}}});
  ASSERT_TRUE(ledger_->Reserve({"u2", "a", quota::ResourceList{{"cpu", 1000}}}, {}).admitted());
  std::string text = Metrics();
  EXPECT_NE(text.find("quotient_quota_used{quota=\"team-a\",resource=\"cpu\"} 2.5\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("quotient_quota_reserved{quota=\"team-a\",resource=\"cpu\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("quotient_quota_max{quota=\"team-a\",resource=\"cpu\"} 20\n"),
            std::string::npos);
  EXPECT_EQ(text.find("quotient_quota_max{quota=\"team-a\",resource=\"memory\"}"),
            std::string::npos);  // unlimited: absent
  EXPECT_NE(text.find("quotient_quota_min{quota=\"root\",resource=\"cpu\"} 40\n"),
            std::string::npos);
  EXPECT_NE(text.find("quotient_quota_namespace_info{quota=\"team-a\",namespace=\"a\"} 1\n"),
            std::string::npos);
  metrics_->CountAdmission("team-a", quota::AdmitCode::kRejectedMax);
  EXPECT_NE(Metrics().find("quotient_quota_admissions_total{quota=\"team-a\",result=\"rejected\","
                           "reason=\"max_exceeded\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace quotient::extender
